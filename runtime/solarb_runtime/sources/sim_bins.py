"""The sim's Meteora DLMM pairs: liquidity spread over bins around the active one.

A pair holds three bin arrays (the active one and its neighbours) with X above the
active bin, Y below and both in it, thinning away from the price. `settle` keeps that
shape as the price walks: when the active bin moves into another array, arrays are added
(fresh liquidity at the new price) or dropped so the pair always holds three around it.
The variable fee is off (variable_fee_control 0) and the clock is fixed, so every pair
encodes the same Clock sysvar bytes and a pair's fee does not depend on wall time.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace
from fractions import Fraction

from solders.pubkey import Pubkey

from solarb_runtime.sources.sim_makers import derived_key, pool_identity, quote_atoms, spl_mint
from solarb_runtime.sources.sim_market import PoolSpec
from solarb_runtime.venues.base import PoolState
from solarb_runtime.venues.meteora_dlmm import DlmmState
from solarb_runtime.venues.meteora_dlmm_layout import (
    BIN_ARRAY_BITMAP_SIZE,
    BINS_PER_ARRAY,
    BinArray,
    LbPair,
    StaticParameters,
    VariableParameters,
)
from solarb_runtime.venues.meteora_dlmm_samples import bin_array, stocked_bin

_BIN_STEPS = (4, 10, 20, 80)  # the smallest step whose bitmap reaches the price is used
_SIM_EPOCH = 700
_SIM_UNIX_TS = 1_750_000_000
_BIN_DECAY = 0.97  # liquidity per bin falls by this factor per bin away from the price
_BINS_DEEP = 30  # the pair's depth is spread over about this many bins a side


class DlmmMaker:
    """DLMM pairs with `base_factor` × bin step as their (static) base fee."""

    def __init__(self, base_factor: int = 10_000, protocol_share: int = 500) -> None:
        self.base_factor = base_factor  # with bin step 4: 0.04 %
        self.protocol_share = protocol_share

    def make(self, spec: PoolSpec, price: Fraction, rng: random.Random) -> PoolState:
        bin_step, active_id = _locate(float(price))
        pair = LbPair(
            parameters=StaticParameters(
                base_factor=self.base_factor,
                filter_period=30,
                decay_period=600,
                reduction_factor=5000,
                variable_fee_control=0,
                max_volatility_accumulator=350_000,
                min_bin_id=-443636,
                max_bin_id=443636,
                protocol_share=self.protocol_share,
                base_fee_power_factor=0,
                function_type="undetermined",
                collect_fee_mode="input-only",
            ),
            v_parameters=VariableParameters(0, 0, active_id, _SIM_UNIX_TS),
            pair_type="permissionless",
            active_id=active_id,
            bin_step=bin_step,
            status="enabled",
            activation_type="slot",
            token_x_mint=spec.token_a.mint,
            token_y_mint=spec.token_b.mint,
            reserve_x=derived_key("vault", spec.address, "a"),
            reserve_y=derived_key("vault", spec.address, "b"),
            protocol_fee_x=0,
            protocol_fee_y=0,
            reward_mints=(derived_key("no-reward", 0), derived_key("no-reward", 1)),
            oracle=derived_key("dlmm-oracle", spec.address),
            bin_array_bitmap=0,
            activation_point=0,
            token_x_program_flag="spl-token",
            token_y_program_flag="spl-token",
        )
        state = DlmmState(
            venue="meteora-dlmm",
            **pool_identity(spec),
            pair=pair,
            bin_arrays=(),
            mint_x=spl_mint(spec.token_a.mint, spec.token_a.decimals),
            mint_y=spl_mint(spec.token_b.mint, spec.token_b.decimals),
            clock_unix_ts=_SIM_UNIX_TS,
            epoch=_SIM_EPOCH,
        )
        per_bin = quote_atoms(spec) / _BINS_DEEP
        return self._fill(state, per_bin, rng)

    def settle(self, state: PoolState) -> PoolState:
        assert isinstance(state, DlmmState)
        if _array_indexes(state) == _wanted(state.pair.active_id):
            return state
        # New arrays as deep as the deepest bin held now; seeded by the bin id, so the
        # same path through the market always builds the same arrays.
        per_bin = _deepest_value_y(state)
        return self._fill(state, per_bin, random.Random(state.pair.active_id))

    def requote(
        self, state: PoolState, spec: PoolSpec, price: Fraction, rng: random.Random
    ) -> PoolState | None:
        return None

    def _fill(self, state: DlmmState, per_bin_y: float, rng: random.Random) -> DlmmState:
        """Keep exactly the arrays active-1..active+1, creating missing ones around the price."""
        pair = state.pair
        active = pair.active_id
        wanted = _wanted(active)
        have = {a.index: a for a in state.bin_arrays}
        if tuple(sorted(have)) == wanted:
            return state
        arrays = tuple(
            have.get(index)
            or _array(state.address, index, active, pair.bin_step, per_bin_y=per_bin_y, rng=rng)
            for index in wanted
        )
        bitmap = 0
        for index in wanted:
            bitmap |= 1 << (index + BIN_ARRAY_BITMAP_SIZE)
        return replace(state, pair=replace(pair, bin_array_bitmap=bitmap), bin_arrays=arrays)


def _wanted(active_id: int) -> tuple[int, int, int]:
    centre = active_id // BINS_PER_ARRAY
    return (centre - 1, centre, centre + 1)


def _array_indexes(state: DlmmState) -> tuple[int, ...]:
    return tuple(a.index for a in state.bin_arrays)


def _locate(price: float) -> tuple[int, int]:
    """(bin step, active bin id) for an atom price, within the pair's own bitmap."""
    for step in _BIN_STEPS:
        active = round(math.log(price) / math.log1p(step / 10_000))
        if abs(active // BINS_PER_ARRAY) < BIN_ARRAY_BITMAP_SIZE - 2:
            return step, active
    raise ValueError(f"price {price} is out of every DLMM bin step's reach")


def _array(
    pair: Pubkey, index: int, active: int, bin_step: int, *, per_bin_y: float, rng: random.Random
) -> BinArray:
    bins = []
    for i in range(BINS_PER_ARRAY):
        bin_id = index * BINS_PER_ARRAY + i
        value_y = int(per_bin_y * rng.uniform(0.8, 1.2) * _BIN_DECAY ** abs(bin_id - active))
        bins.append(stocked_bin(bin_id, active, bin_step, value_y, value_y // 2))
    return bin_array(pair, index, bins)


def _deepest_value_y(state: DlmmState) -> float:
    """The largest bin's value in Y atoms (the depth near the price when it was made)."""
    best = 0
    for array in state.bin_arrays:
        for bin_id in range(array.lower_bin_id, array.lower_bin_id + BINS_PER_ARRAY):
            b = array.bin(bin_id)
            best = max(best, b.amount_y + (b.amount_x * b.price >> 64))
    return float(best)
