"""Realistic Meteora DLMM pair states for the market simulator and `solarb bench quotes`.

Shapes follow mainnet pairs: SOL-USDC-like prices and decimals, bin steps 1..100 with
their usual fee presets (base fee 0.01%..1%, variable fee control and max volatility
accumulator of the program's presets), 5% protocol share, liquidity spread over three bin
arrays around the active bin (X above it, Y below it, both in it).
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Sequence

from solders.pubkey import Pubkey

from solarb_runtime.domain.amounts import U64_MAX
from solarb_runtime.domain.keys import SPL_TOKEN_PROGRAM, TOKEN_2022_PROGRAM
from solarb_runtime.venues.meteora_dlmm import DlmmState, MeteoraDlmm
from solarb_runtime.venues.meteora_dlmm_layout import (
    BIN_ARRAY_BITMAP_SIZE,
    BIN_LEN,
    BINS_PER_ARRAY,
    COLLECT_FEE_MODES,
    FUNCTION_TYPES,
    Bin,
    BinArray,
    LbPair,
    StaticParameters,
    VariableParameters,
    bin_array_pda,
    pack_bin,
)
from solarb_runtime.venues.meteora_dlmm_math import price_from_id
from solarb_runtime.venues.token import EXT_TRANSFER_FEE_CONFIG, MintInfo, TransferFee

# (bin_step, base_factor, filter, decay, reduction, variable_fee_control, max_va)
_PRESETS = (
    (1, 10000, 10, 120, 5000, 2000000, 100000),
    (4, 10000, 30, 600, 5000, 120000, 300000),
    (10, 10000, 30, 600, 5000, 40000, 350000),
    (20, 10000, 30, 600, 5000, 20000, 350000),
    (80, 12500, 30, 600, 5000, 7500, 300000),
    (100, 10000, 30, 600, 5000, 7500, 350000),
)


def _key(rng: random.Random) -> Pubkey:
    return Pubkey.from_bytes(rng.randbytes(32))


def stocked_bin(bin_id: int, active_id: int, bin_step: int, value_y: int, active_y: int) -> Bin:
    """A bin worth `value_y` Y atoms, laid out as the program expects around the price.

    X above the active bin, Y below it; the active bin holds `active_y` of Y and the rest
    of its value as X. Liquidity is the program's `price * x + (y << 64)`.
    """
    price = price_from_id(bin_id, bin_step)
    amount_x = amount_y = 0
    if bin_id > active_id:
        amount_x = (value_y << 64) // price
    elif bin_id < active_id:
        amount_y = value_y
    else:
        amount_y = active_y
        amount_x = ((value_y - active_y) << 64) // price
    fields = dict.fromkeys(Bin.__dataclass_fields__, 0)
    fields.update(amount_x=amount_x, amount_y=amount_y, price=price)
    fields["liquidity_supply"] = price * amount_x + (amount_y << 64)
    return Bin(**fields)


def bin_array(pair: Pubkey, index: int, bins: Sequence[Bin]) -> BinArray:
    """The bin array `index` of `pair` holding `bins` (all `BINS_PER_ARRAY` of them)."""
    assert len(bins) == BINS_PER_ARRAY
    data = b"".join(pack_bin(b) for b in bins)
    return BinArray(bin_array_pda(pair, index), index, 1, pair, data)


def sample_state(rng: random.Random) -> DlmmState:
    """A random but mainnet-shaped DLMM pair with three bin arrays around the active bin."""
    bin_step, base_factor, filt, decay, reduction, vfc, max_va = rng.choice(_PRESETS)
    while True:
        decimals_x, decimals_y = rng.choice(((9, 6), (6, 6), (9, 9), (6, 9)))
        ui_price = math.exp(rng.uniform(math.log(0.05), math.log(500.0)))
        atom_price = ui_price * 10**decimals_y / 10**decimals_x
        active_id = round(math.log(atom_price) / math.log1p(bin_step / 10_000))
        # Small bin steps reach only prices near 1 inside the pair's own bitmap.
        if abs(active_id) < (BIN_ARRAY_BITMAP_SIZE - 2) * BINS_PER_ARRAY:
            break
    address = _key(rng)
    # Liquidity per bin worth 2k..300k units of Y (UI), the usual spot/curve depth.
    depth_y = 10 ** rng.uniform(3.3, 5.5) * 10**decimals_y
    active_index = active_id // BINS_PER_ARRAY
    arrays = []
    bitmap = 0
    for index in (active_index - 1, active_index, active_index + 1):
        bins = []
        for i in range(BINS_PER_ARRAY):
            bin_id = index * BINS_PER_ARRAY + i
            distance = abs(bin_id - active_id)
            value_y = int(depth_y * rng.uniform(0.5, 1.5) * 0.97**distance)
            active_y = int(value_y * rng.random()) if bin_id == active_id else 0
            bins.append(stocked_bin(bin_id, active_id, bin_step, value_y, active_y))
        arrays.append(bin_array(address, index, bins))
        bitmap |= 1 << (index + 512)
    now = 1_760_000_000 + rng.randrange(10_000_000)
    elapsed = rng.choice((0, 5, 60, 400, 5_000))
    va = rng.choice((0, 0, 10_000, 40_000, 120_000))
    pair = LbPair(
        parameters=StaticParameters(
            base_factor=base_factor,
            filter_period=filt,
            decay_period=decay,
            reduction_factor=reduction,
            variable_fee_control=vfc,
            max_volatility_accumulator=max_va,
            min_bin_id=-443636,
            max_bin_id=443636,
            protocol_share=rng.choice((0, 500, 1000, 2000)),
            base_fee_power_factor=0,
            function_type="undetermined",
            collect_fee_mode="input-only",
        ),
        v_parameters=VariableParameters(
            volatility_accumulator=min(va, max_va),
            volatility_reference=min(va, max_va) // 2,
            index_reference=active_id + rng.randint(-3, 3),
            last_update_timestamp=now - elapsed,
        ),
        pair_type="permissionless",
        active_id=active_id,
        bin_step=bin_step,
        status="enabled",
        activation_type="slot",
        token_x_mint=_key(rng),
        token_y_mint=_key(rng),
        reserve_x=_key(rng),
        reserve_y=_key(rng),
        protocol_fee_x=0,
        protocol_fee_y=0,
        reward_mints=(Pubkey.default(), Pubkey.default()),
        oracle=_key(rng),
        bin_array_bitmap=bitmap,
        activation_point=0,
        token_x_program_flag="spl-token",
        token_y_program_flag="spl-token",
    )
    mint_x = MintInfo(pair.token_x_mint, SPL_TOKEN_PROGRAM, decimals_x, 10**18)
    mint_y = MintInfo(pair.token_y_mint, SPL_TOKEN_PROGRAM, decimals_y, 10**18)
    return DlmmState(
        venue=MeteoraDlmm.kind,
        address=address,
        mint_a=pair.token_x_mint,
        mint_b=pair.token_y_mint,
        decimals_a=decimals_x,
        decimals_b=decimals_y,
        slot=370_000_000 + rng.randrange(10_000_000),
        pair=pair,
        bin_arrays=tuple(arrays),
        mint_x=mint_x,
        mint_y=mint_y,
        clock_unix_ts=now,
        epoch=850,
    )


def sample_request(rng: random.Random, state: DlmmState) -> tuple[Pubkey, int, bool]:
    """(mint_in, amount, exact_in) for a swap that crosses one to three bins."""
    swap_for_y = rng.random() < 0.5
    bins = rng.choice((1, 1, 2, 3))
    step = -1 if swap_for_y else 1
    arrays = {a.index: a for a in state.bin_arrays}
    out_total = in_total = 0
    for k in range(bins):
        bin_id = state.pair.active_id + step * k
        b = arrays[bin_id // BINS_PER_ARRAY].bin(bin_id)
        out = b.amount_y if swap_for_y else b.amount_x
        share = 1.0 if k < bins - 1 else rng.uniform(0.05, 0.95)
        take = int(out * share)
        out_total += take
        in_total += (take << 64) // b.price if swap_for_y else (take * b.price) >> 64
    exact_in = rng.random() < 0.6
    mint_in = state.mint_a if swap_for_y else state.mint_b
    amount = max(1, int(in_total * 0.995) if exact_in else out_total)
    return mint_in, amount, exact_in


def with_limit_orders(state: DlmmState, rng: random.Random, share: float = 0.3) -> DlmmState:
    """Open and processed limit orders on about `share` of the bins, on random sides."""
    arrays = []
    for array in state.bin_arrays:
        buf = bytearray(array.bins)
        for i in range(BINS_PER_ARRAY):
            if rng.random() < share:
                b = dataclasses.replace(
                    array.bin(array.lower_bin_id + i),
                    open_order_amount=rng.randrange(10 ** rng.randint(3, 12)),
                    processed_order_remaining_amount=rng.randrange(10 ** rng.randint(3, 12)),
                    limit_order_ask_side=rng.randint(0, 1),
                )
                buf[i * BIN_LEN : (i + 1) * BIN_LEN] = pack_bin(b)
        arrays.append(dataclasses.replace(array, bins=bytes(buf)))
    return dataclasses.replace(state, bin_arrays=tuple(arrays))


def with_transfer_fee(
    state: DlmmState, on_x: bool, fee: TransferFee, newer: TransferFee | None = None
) -> DlmmState:
    """The pair with mint X (or Y) a Token-2022 mint charging `fee` on every transfer
    (`newer` from its own epoch on, when given)."""
    mint = state.mint_x if on_x else state.mint_y
    mint = dataclasses.replace(
        mint,
        token_program=TOKEN_2022_PROGRAM,
        older_fee=fee,
        newer_fee=fee if newer is None else newer,
        extensions=frozenset({EXT_TRANSFER_FEE_CONFIG}),
    )
    if on_x:
        pair = dataclasses.replace(state.pair, token_x_program_flag="token-2022")
        return dataclasses.replace(state, mint_x=mint, pair=pair)
    pair = dataclasses.replace(state.pair, token_y_program_flag="token-2022")
    return dataclasses.replace(state, mint_y=mint, pair=pair)


def varied_state(rng: random.Random) -> DlmmState:
    """`sample_state` with every quoting feature drawn at random: fee collection mode,
    limit orders (and whether the pair lets swaps fill them), protocol share, uncapped
    Token-2022 transfer fees on either mint, and the time since the last swap."""
    state = sample_state(rng)
    params = dataclasses.replace(
        state.pair.parameters,
        collect_fee_mode=rng.choice(COLLECT_FEE_MODES),
        function_type=rng.choice(FUNCTION_TYPES),
        protocol_share=rng.choice((0, 500, 2000, 2500)),
    )
    reward = _key(rng) if rng.random() < 0.5 else Pubkey.default()
    pair = dataclasses.replace(
        state.pair, parameters=params, reward_mints=(Pubkey.default(), reward)
    )
    state = dataclasses.replace(state, pair=pair)
    if rng.random() < 0.5:
        state = with_limit_orders(state, rng)
    for on_x in (True, False):
        if rng.random() < 0.3:
            fee = TransferFee(epoch=0, maximum_fee=U64_MAX, basis_points=rng.randint(1, 1000))
            state = with_transfer_fee(state, on_x, fee)
    elapsed = rng.choice((0, 3, 29, 30, 100, 599, 600, 5000))
    return dataclasses.replace(
        state, clock_unix_ts=state.pair.v_parameters.last_update_timestamp + elapsed
    )
