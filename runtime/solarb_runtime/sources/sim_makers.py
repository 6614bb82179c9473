"""Venue-specific pool construction for the sim: one `PoolMaker` per venue kind.

A maker builds a valid typed state at a requested price and depth (the venue's own
`encode` turns it into bytes) and `settle`s a state after a trade, e.g. supplying the tick
arrays a Whirlpool needs at its new tick. Kinds without a maker are left out of the sim
(reported by `sim_universe` callers), never faked.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace
from fractions import Fraction
from math import isqrt
from typing import TypedDict

from solders.pubkey import Pubkey

from solarb_runtime.domain.keys import SPL_TOKEN_PROGRAM
from solarb_runtime.sources.sim_market import PoolMaker, PoolSpec
from solarb_runtime.venues.base import PoolState
from solarb_runtime.venues.token import MintInfo


def derived_key(*parts: object) -> Pubkey:
    """A deterministic key for a simulated account (no private key exists for it)."""
    digest = hashlib.sha256(":".join(str(p) for p in ("solarb-sim", *parts)).encode()).digest()
    return Pubkey.from_bytes(digest)


class PoolIdentity(TypedDict):
    """The `PoolState` fields every maker fills the same way from its spec."""

    address: Pubkey
    mint_a: Pubkey
    mint_b: Pubkey
    decimals_a: int
    decimals_b: int
    slot: int


def pool_identity(spec: PoolSpec) -> PoolIdentity:
    """A fresh pool's identity fields (slot 0: the sim stamps slots as it emits)."""
    return PoolIdentity(
        address=spec.address,
        mint_a=spec.token_a.mint,
        mint_b=spec.token_b.mint,
        decimals_a=spec.token_a.decimals,
        decimals_b=spec.token_b.decimals,
        slot=0,
    )


def spl_mint(token_mint: Pubkey, decimals: int) -> MintInfo:
    # Supply 0, as every venue's `encode` writes a mint by default: a mint shared by pools of
    # different venues must encode to the same bytes, or it flip-flops between them.
    return MintInfo(
        address=token_mint, token_program=SPL_TOKEN_PROGRAM, decimals=decimals, supply=0
    )


def quote_atoms(spec: PoolSpec) -> int:
    """Half the pool's depth, in atoms of token_b (the y side of a two-sided pool)."""
    return int(spec.depth_usd / 2 / spec.token_b.price_usd * 10**spec.token_b.decimals)


class WhirlpoolMaker:
    """Static-fee Whirlpools with one wide position: constant liquidity, no tick crossings.

    The tick arrays around the price are uninitialised (`absent`), which the program's
    sparse swap reads as empty ticks; `settle` keeps the supplied set matched to the tick.
    """

    def __init__(self, tick_spacing: int = 8, fee_rate: int = 500) -> None:
        self.tick_spacing = tick_spacing
        self.fee_rate = fee_rate  # hundredths of a bp: 500 = 5 bps

    def make(self, spec: PoolSpec, price: Fraction, rng: random.Random) -> PoolState:
        from solarb_runtime.venues.orca_whirlpool_layout import RewardInfo, WhirlpoolState
        from solarb_runtime.venues.orca_whirlpool_math import tick_index_from_sqrt_price

        sqrt_price = isqrt(price.numerator * (1 << 128) // price.denominator)
        liquidity = quote_atoms(spec) * (1 << 64) // sqrt_price
        empty_reward = RewardInfo(Pubkey.default(), Pubkey.default(), bytes(32), 0, 0)
        state = WhirlpoolState(
            venue="orca-whirlpool",
            **pool_identity(spec),
            whirlpools_config=derived_key("whirlpools-config"),
            whirlpool_bump=255,
            tick_spacing=self.tick_spacing,
            fee_tier_index=self.tick_spacing,
            fee_rate=self.fee_rate,
            protocol_fee_rate=1300,
            liquidity=liquidity,
            sqrt_price=sqrt_price,
            tick_current_index=tick_index_from_sqrt_price(sqrt_price),
            protocol_fee_owed_a=0,
            protocol_fee_owed_b=0,
            token_vault_a=derived_key("vault", spec.address, "a"),
            token_vault_b=derived_key("vault", spec.address, "b"),
            fee_growth_global_a=0,
            fee_growth_global_b=0,
            reward_last_updated_timestamp=0,
            reward_infos=(empty_reward,) * 3,
            tick_arrays=(),
            mint_info_a=spl_mint(spec.token_a.mint, spec.token_a.decimals),
            mint_info_b=spl_mint(spec.token_b.mint, spec.token_b.decimals),
        )
        return self.settle(state)

    def settle(self, state: PoolState) -> PoolState:
        from solarb_runtime.venues.orca_whirlpool_layout import (
            ZERO_TICK,
            TickArray,
            WhirlpoolState,
            swap_start_indexes,
            tick_array_address,
        )

        assert isinstance(state, WhirlpoolState)
        tick, spacing = state.tick_current_index, state.tick_spacing
        starts = set(swap_start_indexes(tick, spacing, True))
        starts |= set(swap_start_indexes(tick, spacing, False))
        have = {a.start_tick_index: a for a in state.tick_arrays}
        arrays = tuple(
            have.get(s)
            or TickArray(
                tick_array_address(state.address, s), s, state.address, "absent", (ZERO_TICK,) * 88
            )
            for s in sorted(starts)
        )
        if arrays == state.tick_arrays:
            return state
        return replace(state, tick_arrays=arrays)

    def requote(
        self, state: PoolState, spec: PoolSpec, price: Fraction, rng: random.Random
    ) -> PoolState | None:
        return None


class CpmmMaker:
    """Raydium CPMM pools on one AmmConfig fee tier, no accrued fees, plain SPL mints."""

    def __init__(self, trade_fee_rate: int = 2_500, config_index: int = 0) -> None:
        self.trade_fee_rate = trade_fee_rate  # millionths: 2_500 = 0.25 %, the main tier
        self.config_index = config_index

    def make(self, spec: PoolSpec, price: Fraction, rng: random.Random) -> PoolState:
        from solarb_runtime.venues.raydium_cpmm import KIND, CpmmState
        from solarb_runtime.venues.raydium_cpmm_layout import CpmmConfig, CpmmPool, CreatorFeeOn

        reserve_b = quote_atoms(spec)
        reserve_a = reserve_b * price.denominator // price.numerator
        config = CpmmConfig(
            bump=254,
            disable_create_pool=False,
            index=self.config_index,
            trade_fee_rate=self.trade_fee_rate,
            protocol_fee_rate=120_000,
            fund_fee_rate=40_000,
            create_pool_fee=150_000_000,
            protocol_owner=derived_key("cpmm-protocol-owner"),
            fund_owner=derived_key("cpmm-fund-owner"),
            creator_fee_rate=0,
        )
        pool = CpmmPool(
            amm_config=derived_key("cpmm-config", self.config_index),
            pool_creator=derived_key("cpmm-creator", spec.address),
            token_0_vault=derived_key("vault", spec.address, "a"),
            token_1_vault=derived_key("vault", spec.address, "b"),
            lp_mint=derived_key("lp-mint", spec.address),
            token_0_mint=spec.token_a.mint,
            token_1_mint=spec.token_b.mint,
            token_0_program=SPL_TOKEN_PROGRAM,
            token_1_program=SPL_TOKEN_PROGRAM,
            observation_key=derived_key("observation", spec.address),
            auth_bump=253,
            status=0,
            lp_mint_decimals=9,
            mint_0_decimals=spec.token_a.decimals,
            mint_1_decimals=spec.token_b.decimals,
            lp_supply=isqrt(reserve_a * reserve_b),
            protocol_fees_token_0=0,
            protocol_fees_token_1=0,
            fund_fees_token_0=0,
            fund_fees_token_1=0,
            open_time=0,
            recent_epoch=0,
            creator_fee_on=CreatorFeeOn.BOTH_TOKEN,
            enable_creator_fee=False,
            creator_fees_token_0=0,
            creator_fees_token_1=0,
        )
        return CpmmState(
            venue=KIND,
            **pool_identity(spec),
            pool=pool,
            config=config,
            vault_amount_a=reserve_a,
            vault_amount_b=reserve_b,
            transfer_fees_a=None,
            transfer_fees_b=None,
        )

    def settle(self, state: PoolState) -> PoolState:
        return state

    def requote(
        self, state: PoolState, spec: PoolSpec, price: Fraction, rng: random.Random
    ) -> PoolState | None:
        return None


def default_makers() -> dict[str, PoolMaker]:
    """A maker for every venue kind the sim builds."""
    # Imported here: the book and bin makers reuse this module's helpers.
    from solarb_runtime.sources.sim_bins import DlmmMaker
    from solarb_runtime.sources.sim_book import PhoenixMaker

    return {
        "orca-whirlpool": WhirlpoolMaker(),
        "raydium-cpmm": CpmmMaker(),
        "meteora-dlmm": DlmmMaker(),
        "phoenix": PhoenixMaker(),
    }
