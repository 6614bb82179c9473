"""CPMM `dependencies`: the head-cached list equals a full decode's."""

from __future__ import annotations

import random
from dataclasses import replace

from solarb_runtime.venues.raydium_cpmm import RaydiumCpmmVenue
from solarb_runtime.venues.raydium_cpmm_samples import sample_state


def test_a_swap_changing_the_counters_keeps_the_list_a_changed_key_does_not() -> None:
    rng = random.Random(4)
    warm = RaydiumCpmmVenue()
    for _ in range(30):
        primary, _ = warm.encode(sample_state(rng))
        first = warm.dependencies(primary)
        # Everything after the keys (a swap's counters and fees): the same list.
        data = bytearray(primary.data)
        data[8 + 10 * 32 :] = rng.randbytes(len(data) - 8 - 10 * 32)
        counters = replace(primary, data=bytes(data))
        assert warm.dependencies(counters) == first
        # A vault key changed: a full decode's list, not the cached one.
        data = bytearray(primary.data)
        data[72:104] = rng.randbytes(32)  # token_0_vault
        moved = replace(primary, data=bytes(data))
        assert warm.dependencies(moved) == RaydiumCpmmVenue().dependencies(moved)
        assert warm.dependencies(moved)[1] != first[1]
