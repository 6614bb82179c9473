"""Finding and sizing: two-leg edges, n-hop cycles, exact EV-maximising sizer."""
