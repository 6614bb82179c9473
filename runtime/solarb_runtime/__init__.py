"""solarb runtime: venues, market state, strategy, risk, execution and the `solarb` CLI."""

__version__ = "0.1.0"
