"""Venue adapters: decode on-chain accounts and quote swaps exactly as each program does."""
