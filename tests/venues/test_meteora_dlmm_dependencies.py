"""DLMM `dependencies`: the list a shape-cached call returns equals a full decode's."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from solarb_runtime.venues.base import UnsupportedPool
from solarb_runtime.venues.meteora_dlmm import MeteoraDlmmVenue
from solarb_runtime.venues.meteora_dlmm_layout import encode_lb_pair
from solarb_runtime.venues.meteora_dlmm_samples import varied_state


def test_cached_dependencies_follow_the_active_bin_and_bitmap_as_a_full_decode_does() -> None:
    rng = random.Random(5)
    warm = MeteoraDlmmVenue()
    checked = refused = 0
    for _ in range(40):
        state = varied_state(rng)
        primary, _ = warm.encode(state)
        warm.dependencies(primary)  # the shape is now known
        for _ in range(5):
            # Another active bin (arrays away included) and another bitmap.
            pair = replace(
                state.pair,
                active_id=state.pair.active_id + rng.randint(-2_000, 2_000),
                bin_array_bitmap=rng.getrandbits(1024),
            )
            moved = replace(primary, data=encode_lb_pair(pair))
            try:
                want = MeteoraDlmmVenue().dependencies(moved)
            except UnsupportedPool:
                with pytest.raises(UnsupportedPool):
                    warm.dependencies(moved)
                refused += 1
                continue
            assert warm.dependencies(moved) == want
            checked += 1
    assert checked > 150


def test_a_changed_mint_is_not_served_from_the_cache() -> None:
    rng = random.Random(6)
    venue = MeteoraDlmmVenue()
    state = varied_state(rng)
    primary, _ = venue.encode(state)
    before = venue.dependencies(primary)
    other = replace(state.pair, token_x_mint=state.pair.token_y_mint)
    changed = replace(primary, data=encode_lb_pair(other))
    after = venue.dependencies(changed)
    assert after[0] != before[0]
    assert after == MeteoraDlmmVenue().dependencies(changed)
