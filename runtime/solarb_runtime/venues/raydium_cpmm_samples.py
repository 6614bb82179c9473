"""Realistic Raydium CPMM pools and swap requests for the market simulator and benchmarks.

Shapes follow mainnet: the AmmConfig tiers (0.01 %..4 % trade fee, 12 % protocol and 4 %
fund share of it), 6- or 9-decimal mints, pools from ~$10k to tens of millions, a few
Token-2022 mints with a transfer fee, some pools with a creator fee, a little accrued
protocol/fund fee sitting in the vaults.
"""

from __future__ import annotations

import random

from solders.pubkey import Pubkey

from solarb_runtime.domain.amounts import U64_MAX
from solarb_runtime.domain.keys import SPL_TOKEN_PROGRAM, TOKEN_2022_PROGRAM
from solarb_runtime.venues.raydium_cpmm import KIND, CpmmState
from solarb_runtime.venues.raydium_cpmm_layout import (
    CpmmConfig,
    CpmmPool,
    CreatorFeeOn,
    TransferFeeSchedule,
)
from solarb_runtime.venues.token import TransferFee, epoch_of_slot

# (index, trade fee rate, weight): the live mainnet config tiers.
_CONFIG_TIERS: tuple[tuple[int, int, int], ...] = (
    (0, 2_500, 60),
    (1, 10_000, 15),
    (2, 20_000, 5),
    (3, 40_000, 5),
    (4, 100, 5),
    (5, 500, 10),
)
_PROTOCOL_FEE_RATE = 120_000
_FUND_FEE_RATE = 40_000
_CREATE_POOL_FEE = 150_000_000
_MAINNET_SLOT = 330_000_000


def _key(rng: random.Random) -> Pubkey:
    return Pubkey.from_bytes(rng.randbytes(32))


def _transfer_fees(rng: random.Random, decimals: int) -> TransferFeeSchedule:
    bps = rng.choice((10, 50, 100, 300, 500))
    fee = TransferFee(
        epoch=0, maximum_fee=rng.choice((10**4, 10**9)) * 10**decimals, basis_points=bps
    )
    return fee, fee


def sample_state(rng: random.Random) -> CpmmState:
    """A pool as one sees on mainnet (random keys; sizes, prices and fees realistic)."""
    index, trade_fee_rate, _ = rng.choices(_CONFIG_TIERS, weights=[t[2] for t in _CONFIG_TIERS])[0]
    creator_enabled = rng.random() < 0.2
    config = CpmmConfig(
        bump=rng.randrange(240, 256),
        disable_create_pool=False,
        index=index,
        trade_fee_rate=trade_fee_rate,
        protocol_fee_rate=_PROTOCOL_FEE_RATE,
        fund_fee_rate=_FUND_FEE_RATE,
        create_pool_fee=_CREATE_POOL_FEE,
        protocol_owner=_key(rng),
        fund_owner=_key(rng),
        creator_fee_rate=rng.choice((0, 500, 1_000, 2_500)) if creator_enabled else 0,
    )
    decimals_a, decimals_b = rng.choice((6, 9)), rng.choice((6, 9))
    # Whole tokens of A in the pool (1e3..1e9) and the price of A in B (1e-6..1e4), both
    # log-uniform, clamped so neither side nears u64.
    tokens_a = 10 ** rng.uniform(3, 9)
    price = 10 ** rng.uniform(-6, 4)
    reserve_a = min(max(int(tokens_a * 10**decimals_a), 10**6), 10**18)
    reserve_b = min(max(int(tokens_a * price * 10**decimals_b), 10**6), 10**18)
    fees_a = [reserve_a // rng.randrange(2_000, 200_000) for _ in range(3)]
    fees_b = [reserve_b // rng.randrange(2_000, 200_000) for _ in range(3)]
    if not creator_enabled:
        fees_a[2] = fees_b[2] = 0
    t22_a, t22_b = rng.random() < 0.1, rng.random() < 0.1
    slot = _MAINNET_SLOT + rng.randrange(10_000_000)
    mint_a, mint_b = sorted((_key(rng), _key(rng)), key=bytes)
    pool = CpmmPool(
        amm_config=_key(rng),
        pool_creator=_key(rng),
        token_0_vault=_key(rng),
        token_1_vault=_key(rng),
        lp_mint=_key(rng),
        token_0_mint=mint_a,
        token_1_mint=mint_b,
        token_0_program=TOKEN_2022_PROGRAM if t22_a else SPL_TOKEN_PROGRAM,
        token_1_program=TOKEN_2022_PROGRAM if t22_b else SPL_TOKEN_PROGRAM,
        observation_key=_key(rng),
        auth_bump=253,
        status=0,
        lp_mint_decimals=9,
        mint_0_decimals=decimals_a,
        mint_1_decimals=decimals_b,
        lp_supply=min(int((reserve_a * reserve_b) ** 0.5), U64_MAX),
        protocol_fees_token_0=fees_a[0],
        protocol_fees_token_1=fees_b[0],
        fund_fees_token_0=fees_a[1],
        fund_fees_token_1=fees_b[1],
        open_time=1_700_000_000 + rng.randrange(60_000_000),
        recent_epoch=epoch_of_slot(slot),
        creator_fee_on=rng.choice(tuple(CreatorFeeOn)),
        enable_creator_fee=creator_enabled,
        creator_fees_token_0=fees_a[2],
        creator_fees_token_1=fees_b[2],
    )
    return CpmmState(
        venue=KIND,
        address=_key(rng),
        mint_a=mint_a,
        mint_b=mint_b,
        decimals_a=decimals_a,
        decimals_b=decimals_b,
        slot=slot,
        pool=pool,
        config=config,
        vault_amount_a=reserve_a + sum(fees_a),
        vault_amount_b=reserve_b + sum(fees_b),
        transfer_fees_a=_transfer_fees(rng, decimals_a) if t22_a else None,
        transfer_fees_b=_transfer_fees(rng, decimals_b) if t22_b else None,
    )


def sample_request(rng: random.Random, state: CpmmState) -> tuple[Pubkey, int, bool]:
    """(mint_in, amount, exact_in): 0.01 %..2 % of the reserve the amount is counted in."""
    a_in = rng.random() < 0.5
    exact_in = rng.random() < 0.7
    share = 10 ** rng.uniform(-4, -1.7)
    if exact_in:
        reserve = state.reserve_a if a_in else state.reserve_b
    else:
        reserve = state.reserve_b if a_in else state.reserve_a
    return (state.mint_a if a_in else state.mint_b), max(1, int(reserve * share)), exact_in
