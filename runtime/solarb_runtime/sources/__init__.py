"""Sources of account and slot updates: sim, replay, rpc, redis."""
