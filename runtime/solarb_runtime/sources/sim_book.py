"""The sim's Phoenix markets: a maker that quotes a ladder around the fair price.

Lot and tick sizes are chosen per market the way listings do (a lot worth 0.1-1 quote
units, a tick below 0.1 bp of the price, the tick a multiple of the lots per unit, which
the program requires). The maker re-quotes with a lag (`SimMarket` decides when), so a
book is briefly stale after the fair price moves: one source of cross-venue edges.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace
from fractions import Fraction

from solarb_runtime.sources.sim_makers import derived_key, pool_identity
from solarb_runtime.sources.sim_market import PoolSpec
from solarb_runtime.venues.base import PoolState
from solarb_runtime.venues.phoenix_layout import BID_BIT, PhoenixOrder, PhoenixState

# The smallest dispatchable market (bids, asks, seats): the sim's books are short.
_SIZES = (512, 512, 128)
_SEQUENCE_MASK = BID_BIT * 2 - 1
_MAKER_SEAT = 1


class PhoenixMaker:
    """Phoenix markets with `levels` orders a side, `step_bps` apart, `half_spread_bps` off mid."""

    def __init__(
        self,
        taker_fee_bps: int = 2,
        levels: int = 20,
        half_spread_bps: float = 1.0,
        step_bps: float = 2.0,
    ) -> None:
        self.taker_fee_bps = taker_fee_bps
        self.levels = levels
        self.half_spread_bps = half_spread_bps
        self.step_bps = step_bps

    def make(self, spec: PoolSpec, price: Fraction, rng: random.Random) -> PoolState:
        a, b = spec.token_a, spec.token_b
        units_price = float(price) * 10**a.decimals / 10**b.decimals  # quote units per token
        # A base unit worth at least one quote unit (BONK-like tokens trade per million).
        raw_exp = max(0, math.ceil(-math.log10(units_price))) if units_price < 1 else 0
        unit_atoms = 10 ** (a.decimals + raw_exp)
        unit_price = units_price * 10**raw_exp
        lots_per_unit = min(unit_atoms, 10 ** max(0, math.floor(math.log10(unit_price * 10))))
        quote_lot_size = 10 ** max(0, b.decimals - 6)
        tick_lots = lots_per_unit
        state = PhoenixState(
            venue="phoenix",
            **pool_identity(spec),
            status="Active",
            bids_size=_SIZES[0],
            asks_size=_SIZES[1],
            num_seats=_SIZES[2],
            base_vault=derived_key("vault", spec.address, "a"),
            quote_vault=derived_key("vault", spec.address, "b"),
            base_vault_bump=255,
            quote_vault_bump=255,
            base_lot_size=unit_atoms // lots_per_unit,
            quote_lot_size=quote_lot_size,
            tick_size_in_quote_atoms_per_base_unit=tick_lots * quote_lot_size,
            authority=derived_key("phoenix-authority"),
            fee_recipient=derived_key("phoenix-fees"),
            market_sequence_number=1,
            successor=derived_key("phoenix-authority"),
            raw_base_units_per_base_unit=10**raw_exp,
            base_lots_per_base_unit=lots_per_unit,
            tick_size_in_quote_lots_per_base_unit=tick_lots,
            order_sequence_number=1,
            taker_fee_bps=self.taker_fee_bps,
            collected_quote_lot_fees=0,
            unclaimed_quote_lot_fees=0,
            bids=(),
            asks=(),
        )
        return self._quote(state, spec, price, rng)

    def settle(self, state: PoolState) -> PoolState:
        return state

    def requote(
        self, state: PoolState, spec: PoolSpec, price: Fraction, rng: random.Random
    ) -> PoolState | None:
        return self._quote(state, spec, price, rng)

    def _quote(
        self, state: PoolState, spec: PoolSpec, price: Fraction, rng: random.Random
    ) -> PhoenixState:
        """Cancel everything and post a fresh ladder around `price` (one maker seat)."""
        assert isinstance(state, PhoenixState)
        # Quote atoms per base atom → ticks: price · lot_size · lots_per_unit / tick atoms.
        per_tick = Fraction(
            state.tick_size_in_quote_lots_per_base_unit * state.quote_lot_size,
            state.base_lots_per_base_unit * state.base_lot_size,
        )
        mid_ticks = price / per_tick
        usd_per_level = spec.depth_usd / 2 / self.levels
        level_lots = max(
            1,
            int(usd_per_level / spec.token_a.price_usd * 10**spec.token_a.decimals)
            // state.base_lot_size,
        )
        sequence = state.order_sequence_number
        books: list[tuple[PhoenixOrder, ...]] = []
        for side in (-1, 1):  # bids below mid, asks above
            orders: list[PhoenixOrder] = []
            last = None
            for level in range(self.levels):
                offset_bps = self.half_spread_bps + level * self.step_bps
                raw = mid_ticks * Fraction(1 + side * offset_bps / 10_000)
                ticks = math.floor(raw) if side < 0 else math.ceil(raw)
                ticks = max(1, ticks)
                if ticks == last:
                    continue  # a coarse tick: two levels would share a price
                last = ticks
                lots = max(1, round(level_lots * rng.uniform(0.6, 1.4)))
                stored = (~sequence & _SEQUENCE_MASK) if side < 0 else sequence
                sequence += 1
                orders.append(PhoenixOrder(ticks, stored, _MAKER_SEAT, lots, 0, 0))
            orders.sort(key=lambda o: (o.price_in_ticks, o.order_sequence_number), reverse=side < 0)
            books.append(tuple(orders))
        return replace(
            state,
            bids=books[0],
            asks=books[1],
            order_sequence_number=sequence,
            market_sequence_number=state.market_sequence_number + 1,
        )
