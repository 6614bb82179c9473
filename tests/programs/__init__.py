"""LiteSVM tests of the on-chain guard program built from source."""
