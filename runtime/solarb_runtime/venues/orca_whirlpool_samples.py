"""Realistic Orca Whirlpool states and swap requests for the simulator and the benches.

Sizes follow mainnet: the usual fee tiers (tick spacing ↔ fee rate), the 13 % protocol
share, SOL/USDC-, stable- and LST-like price levels, full-range liquidity plus a handful of
concentrated positions whose ticks fall inside the tick arrays a swap loads. A few pools
use dynamic or uninitialised tick arrays and Token-2022 transfer fees, as on mainnet.
"""

from __future__ import annotations

import math
import random

from solders.pubkey import Pubkey

from solarb_runtime.domain.amounts import U64_MAX
from solarb_runtime.domain.keys import SPL_TOKEN_PROGRAM, TOKEN_2022_PROGRAM
from solarb_runtime.venues.orca_whirlpool_layout import (
    ZERO_TICK,
    RewardInfo,
    Tick,
    TickArray,
    TickArrayKind,
    WhirlpoolState,
    swap_start_indexes,
    tick_array_address,
)
from solarb_runtime.venues.orca_whirlpool_math import (
    FEE_RATE_MUL_VALUE,
    TICK_ARRAY_SIZE,
    sqrt_price_from_tick_index,
    tick_index_from_sqrt_price,
    try_amount_delta_a,
    try_amount_delta_b,
)
from solarb_runtime.venues.token import EXT_TRANSFER_FEE_CONFIG, MintInfo, TransferFee

# (tick spacing, fee rate in hundredths of a bip): Orca's mainnet fee tiers.
FEE_TIERS = ((1, 100), (2, 200), (4, 400), (8, 500), (16, 1600), (64, 3000), (128, 10_000))
# (decimals a, decimals b, human price range of a in b, USD price of b): SOL/USDC-,
# stable-, LST/SOL- and memecoin/SOL-like pairs.
PAIRS = (
    (9, 6, 20.0, 300.0, 1.0),
    (6, 6, 0.98, 1.02, 1.0),
    (9, 9, 1.0, 1.3, 150.0),
    (5, 9, 1e-8, 1e-5, 150.0),
)
PROTOCOL_FEE_RATE = 1_300  # 13 % of the trading fee


def _key(rng: random.Random) -> Pubkey:
    return Pubkey.from_bytes(rng.randbytes(32))


def _mint(rng: random.Random, address: Pubkey, decimals: int) -> MintInfo:
    supply = rng.randrange(10**decimals, min(10 ** (decimals + 10), U64_MAX))
    if rng.random() < 0.1:
        fee = TransferFee(
            epoch=0,
            maximum_fee=rng.choice([10**decimals, 1 << 63]),
            basis_points=rng.randint(1, 500),
        )
        return MintInfo(
            address,
            TOKEN_2022_PROGRAM,
            decimals,
            supply,
            fee,
            fee,
            frozenset({EXT_TRANSFER_FEE_CONFIG}),
        )
    return MintInfo(address, SPL_TOKEN_PROGRAM, decimals, supply)


def _random_tick(rng: random.Random, net: int, gross: int) -> Tick:
    return Tick(
        initialized=True,
        liquidity_net=net,
        liquidity_gross=gross,
        fee_growth_outside_a=rng.getrandbits(100),
        fee_growth_outside_b=rng.getrandbits(100),
        reward_growths_outside=(rng.getrandbits(90), 0, 0),
    )


def sample_state(rng: random.Random) -> WhirlpoolState:
    """A realistic static-fee Whirlpool with the tick arrays both swap directions load."""
    spacing, fee_rate = rng.choice(FEE_TIERS)
    dec_a, dec_b, lo, hi, usd_b = rng.choice(PAIRS)
    human = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    atoms_price = human * 10 ** (dec_b - dec_a)
    tick_guess = round(math.log(atoms_price) / math.log(1.0001))
    lower_p = sqrt_price_from_tick_index(tick_guess)
    sqrt_price = rng.randrange(lower_p, sqrt_price_from_tick_index(tick_guess + 1))
    tick_current = tick_index_from_sqrt_price(sqrt_price)
    address = _key(rng)
    mint_a, mint_b = sorted((_key(rng), _key(rng)), key=bytes)
    # Liquidity sized so ±1 % of price moves $10k-$5M worth of token b.
    depth_b = 10 ** rng.uniform(4, 6.7) * 10**dec_b / usd_b
    sqrt_human = sqrt_price / (1 << 64)
    full_range = max(1, int(depth_b / (sqrt_human * 0.005) * rng.uniform(0.2, 0.6)))
    starts = sorted(
        set(swap_start_indexes(tick_current, spacing, True))
        | set(swap_start_indexes(tick_current, spacing, False))
    )
    span = TICK_ARRAY_SIZE * spacing
    window_lo = max(starts[0], -443_636)
    window_hi = min(starts[-1] + span - spacing, 443_636)
    nets: dict[int, int] = {}
    gross: dict[int, int] = {}
    liquidity = full_range
    lo_units, hi_units = -(-window_lo // spacing), window_hi // spacing
    current_unit = tick_current // spacing
    for _ in range(rng.randint(3, 14)):
        # Positions cluster around the price: a few spacings to a couple of arrays wide.
        width = max(1, int(rng.expovariate(1 / (TICK_ARRAY_SIZE / 2))))
        lower = current_unit - rng.randint(0, width)
        upper = lower + rng.randint(1, width + 1)
        lower, upper = max(lower, lo_units), min(upper, hi_units)
        if lower >= upper:
            continue
        amount = int(full_range * rng.uniform(0.05, 1.5))
        lower_tick, upper_tick = lower * spacing, upper * spacing
        nets[lower_tick] = nets.get(lower_tick, 0) + amount
        nets[upper_tick] = nets.get(upper_tick, 0) - amount
        gross[lower_tick] = gross.get(lower_tick, 0) + amount
        gross[upper_tick] = gross.get(upper_tick, 0) + amount
        if lower_tick <= tick_current < upper_tick:
            liquidity += amount
    arrays = []
    for start in starts:
        ticks = [ZERO_TICK] * TICK_ARRAY_SIZE
        for offset in range(TICK_ARRAY_SIZE):
            t = start + offset * spacing
            if t in gross:
                ticks[offset] = _random_tick(rng, nets[t], gross[t])
        kind: TickArrayKind = "dynamic" if rng.random() < 0.15 else "fixed"
        if not any(t.initialized for t in ticks) and rng.random() < 0.5:
            kind = "absent"
        arrays.append(
            TickArray(tick_array_address(address, start), start, address, kind, tuple(ticks))
        )
    reward = RewardInfo(_key(rng), _key(rng), bytes(32), rng.getrandbits(70), rng.getrandbits(100))
    empty = RewardInfo(Pubkey.default(), Pubkey.default(), bytes(32), 0, 0)
    authority = RewardInfo(Pubkey.default(), Pubkey.default(), bytes(_key(rng)), 0, 0)
    rewards = (reward, empty, empty) if rng.random() < 0.5 else (authority, empty, empty)
    info_a = _mint(rng, mint_a, dec_a)
    info_b = _mint(rng, mint_b, dec_b)
    return WhirlpoolState(
        venue="orca-whirlpool",
        address=address,
        mint_a=mint_a,
        mint_b=mint_b,
        decimals_a=dec_a,
        decimals_b=dec_b,
        slot=rng.randrange(250_000_000, 400_000_000),
        whirlpools_config=_key(rng),
        whirlpool_bump=rng.randrange(240, 256),
        tick_spacing=spacing,
        fee_tier_index=spacing,
        fee_rate=fee_rate,
        protocol_fee_rate=rng.choice([PROTOCOL_FEE_RATE, PROTOCOL_FEE_RATE, 0]),
        liquidity=liquidity,
        sqrt_price=sqrt_price,
        tick_current_index=tick_current,
        protocol_fee_owed_a=rng.getrandbits(40),
        protocol_fee_owed_b=rng.getrandbits(40),
        token_vault_a=_key(rng),
        token_vault_b=_key(rng),
        fee_growth_global_a=rng.getrandbits(110),
        fee_growth_global_b=rng.getrandbits(110),
        reward_last_updated_timestamp=rng.randrange(1_700_000_000, 1_800_000_000),
        reward_infos=rewards,
        tick_arrays=tuple(arrays),
        mint_info_a=info_a,
        mint_info_b=info_b,
    )


def _path(state: WhirlpoolState, a_to_b: bool) -> list[tuple[int, int]]:
    """Initialised ticks in swap order with their liquidity_net, inside the loaded arrays."""
    out: list[tuple[int, int]] = []
    for start in swap_start_indexes(state.tick_current_index, state.tick_spacing, a_to_b):
        array = state.arrays_by_start.get(start)
        if array is None:
            break
        for offset in array.initialized_offsets:
            t = start + offset * state.tick_spacing
            if (a_to_b and t <= state.tick_current_index) or (
                not a_to_b and t > state.tick_current_index
            ):
                out.append((t, array.ticks[offset].liquidity_net))
    out.sort(reverse=a_to_b)
    return out


def _window_edge(state: WhirlpoolState, a_to_b: bool) -> int:
    starts = swap_start_indexes(state.tick_current_index, state.tick_spacing, a_to_b)
    present = []
    for s in starts:
        if s not in state.arrays_by_start:
            break
        present.append(s)
    if a_to_b:
        return max(present[-1], -443_636)
    return min(present[-1] + TICK_ARRAY_SIZE * state.tick_spacing - 1, 443_636)


def sample_request(rng: random.Random, state: WhirlpoolState) -> tuple[Pubkey, int, bool]:
    """(mint_in, amount, exact_in) for a swap crossing 0, 1 or 2 initialised ticks."""
    a_to_b = rng.random() < 0.5
    path = _path(state, a_to_b)
    crossings = min(rng.choice([0, 0, 1, 2]), len(path))
    bounds = [t for t, _ in path[: crossings + 1]]
    start_tick = bounds[crossings - 1] if crossings else state.tick_current_index
    # With no further initialised tick, aim at most ~2 % of price (200 ticks) further on.
    edge = _window_edge(state, a_to_b)
    far = max(edge, start_tick - 200) if a_to_b else min(edge, start_tick + 200)
    end_tick = bounds[crossings] if crossings < len(bounds) else far
    # Aim somewhere inside the last range, short of the next initialised tick.
    p_start = sqrt_price_from_tick_index(start_tick) if crossings else state.sqrt_price
    p_end = sqrt_price_from_tick_index(end_tick)
    target = p_start + int((p_end - p_start) * rng.uniform(0.05, 0.9))
    price, liquidity = state.sqrt_price, state.liquidity
    amount_in = amount_out = 0
    edges = [(sqrt_price_from_tick_index(t), net) for t, net in path[:crossings]]
    for edge, net in [*edges, (target, 0)]:
        if liquidity:
            delta_in, delta_out = (
                (try_amount_delta_a, try_amount_delta_b)
                if a_to_b
                else (try_amount_delta_b, try_amount_delta_a)
            )
            amount_in += delta_in(price, edge, liquidity, True) or U64_MAX
            amount_out += delta_out(price, edge, liquidity, False) or U64_MAX
        price = edge
        liquidity = max(0, liquidity + (-net if a_to_b else net))
    gross_in = amount_in * FEE_RATE_MUL_VALUE // (FEE_RATE_MUL_VALUE - state.fee_rate)
    exact_in = rng.random() < 0.6
    amount = gross_in if exact_in else amount_out
    amount = max(1, min(amount, U64_MAX) * 99 // 100)
    return (state.mint_a if a_to_b else state.mint_b), amount, exact_in
