"""Benchmarks: our venue math and decoders timed on realistic cases next to the official SDKs.

Performance is measured here, never by timed unit tests.
"""
