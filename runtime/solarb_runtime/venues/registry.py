"""Venue kind → the module-level `VENUE` that decodes and quotes it.

Each venue module is listed explicitly (no plugin discovery): adding a venue is one import
and one entry, reviewed like any other code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from solarb_runtime.venues import meteora_dlmm, orca_whirlpool, phoenix, raydium_cpmm
from solarb_runtime.venues.base import Venue, VenueError
from solarb_runtime.venues.native import NATIVE_KINDS

VENUES: Mapping[str, Venue[Any]] = {
    meteora_dlmm.VENUE.kind: meteora_dlmm.VENUE,
    orca_whirlpool.VENUE.kind: orca_whirlpool.VENUE,
    phoenix.VENUE.kind: phoenix.VENUE,
    raydium_cpmm.VENUE.kind: raydium_cpmm.VENUE,
}


class UnknownVenue(VenueError):
    """A venue kind no module implements."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"unknown venue kind {kind!r} (known: {', '.join(sorted(VENUES))})")
        self.kind = kind


def venue(kind: str) -> Venue[Any]:
    """The venue for `kind`, or UnknownVenue."""
    try:
        return VENUES[kind]
    except KeyError:
        raise UnknownVenue(kind) from None


def is_native(venue: Venue[Any]) -> bool:
    """Whether the native core decodes `venue`'s pools: the registry's own venue of a kind
    the core models (a test's or a user's own venue object stays in Python)."""
    return VENUES.get(venue.kind) is venue and venue.kind in NATIVE_KINDS
