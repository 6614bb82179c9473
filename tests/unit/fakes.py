"""Fake venues for the decision-side unit tests (re-exported from `tests.support`)."""

from tests.support.fake_venues import (
    FAKE_BOOK,
    FAKE_CPMM,
    FAKE_PROGRAM,
    FAKE_VENUES,
    PPM,
    FakeBook,
    FakeBookState,
    FakeCpmm,
    FakeCpmmState,
    book,
    cpmm,
    feed,
    key,
    market_with,
)

__all__ = [
    "FAKE_BOOK",
    "FAKE_CPMM",
    "FAKE_PROGRAM",
    "FAKE_VENUES",
    "PPM",
    "FakeBook",
    "FakeBookState",
    "FakeCpmm",
    "FakeCpmmState",
    "book",
    "cpmm",
    "feed",
    "key",
    "market_with",
]
