"""The sim's pool maker for the FAKE constant-product venue of `tests.support.fake_venues`.

Engine, sim and replay tests run on it without the real venue adapters; `VENUE` is the
shared fake and `FakeMaker` creates its pools at a chosen price and depth.
"""

from __future__ import annotations

import random
from fractions import Fraction

from solarb_runtime.sources.sim_makers import derived_key, pool_identity, quote_atoms
from solarb_runtime.sources.sim_market import PoolSpec
from solarb_runtime.venues.base import PoolState
from tests.support.fake_venues import FAKE_CPMM, FAKE_PROGRAM, FakeCpmm, FakeCpmmState

__all__ = ["FAKE_PROGRAM", "VENUE", "FakeMaker"]

VENUE: FakeCpmm = FAKE_CPMM


class FakeMaker:
    """Creates FAKE constant-product pools for the sim at the requested price and depth."""

    def __init__(self, fee_bps: int = 25) -> None:
        self.fee_bps = fee_bps

    def make(self, spec: PoolSpec, price: Fraction, rng: random.Random) -> PoolState:
        reserve_b = quote_atoms(spec)
        return FakeCpmmState(
            venue=VENUE.kind,
            **pool_identity(spec),
            vault_a=derived_key("fake-vault-a", spec.address),
            vault_b=derived_key("fake-vault-b", spec.address),
            reserve_a=int(reserve_b / price),
            reserve_b=reserve_b,
            fee_ppm=self.fee_bps * 100,
        )

    def settle(self, state: PoolState) -> PoolState:
        return state

    def requote(
        self, state: PoolState, spec: PoolSpec, price: Fraction, rng: random.Random
    ) -> PoolState | None:
        return None
