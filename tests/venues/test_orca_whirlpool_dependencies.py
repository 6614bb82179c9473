"""Whirlpool `dependencies`: the list a shape-cached call returns equals a full decode's."""

from __future__ import annotations

import random
import struct
from dataclasses import replace

from solarb_runtime.venues.orca_whirlpool import OrcaWhirlpoolVenue
from solarb_runtime.venues.orca_whirlpool_samples import sample_state

_TICK = struct.Struct("<i")


def test_cached_dependencies_follow_the_tick_as_a_full_decode_does() -> None:
    rng = random.Random(7)
    warm = OrcaWhirlpoolVenue()
    checked = 0
    for _ in range(40):
        state = sample_state(rng)
        primary, _ = warm.encode(state)
        warm.dependencies(primary)  # the shape is now known
        for _ in range(5):
            # Move the current tick anywhere, arrays away included: only the tick changes.
            tick = rng.randint(-443_636, 443_636)
            data = bytearray(primary.data)
            _TICK.pack_into(data, 81, tick)
            moved = replace(primary, data=bytes(data))
            assert warm.dependencies(moved) == OrcaWhirlpoolVenue().dependencies(moved)
            checked += 1
    assert checked == 200


def test_a_changed_mint_is_not_served_from_the_cache() -> None:
    rng = random.Random(8)
    venue = OrcaWhirlpoolVenue()
    primary, _ = venue.encode(sample_state(rng))
    before = venue.dependencies(primary)
    data = bytearray(primary.data)
    data[101:133] = bytes(range(32))  # token_mint_a
    changed = replace(primary, data=bytes(data))
    after = venue.dependencies(changed)
    assert after[0] != before[0]
    assert after == OrcaWhirlpoolVenue().dependencies(changed)
