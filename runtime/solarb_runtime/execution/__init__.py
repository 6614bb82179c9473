"""Executors: shadow, paper, dry-run and live (RPC, Jito, flash)."""
