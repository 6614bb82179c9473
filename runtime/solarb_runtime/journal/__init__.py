"""Journal: durable JSONL records and session summaries."""
