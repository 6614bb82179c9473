"""Meteora DLMM's continuous leg model: the exact-in swap bin by bin, without rounding.

A DLMM bin is constant sum: every input atom buys `price` output atoms until the bin's
output token runs out. So the swap is one line per bin it walks, in the order the
program's swap loop walks them (from the active bin, skipping empty bins, jumping over
arrays the bitmap marks empty), with each bin's own fee rate: the variable fee grows with
the distance from the index reference, which the program recomputes at every bin.

Per bin, with p the output per pool-input atom (price/2^64 for X→Y, 2^64/price for Y→X),
f the bin's fee rate, and t_in, t_out the Token-2022 transfer fees:

* fee on input (`input-only`, or any Y→X swap): out = x·(1−t_in)·(1−f)·p, and the bin's
  reserve R is drained after R / (p·(1−f)) atoms reach the pool;
* fee on output (`only-y` X→Y): out = x·(1−t_in)·p·(1−f), drained after R / p atoms;

times (1−t_out) for the output transfer fee. R counts every layer a swap fills at that
price: market-maker liquidity, then processed and open limit orders on the swap's side.

Deliberately approximate: integer rounding (it always favours the pool, so the model is
an upper bound of the exact quote by a few atoms per bin crossed, see the tests), and the
Token-2022 `maximum_fee` cap (the fee is modelled as purely proportional; a capped fee
makes large trades slightly better than modelled).

Capacity ends where the exact quote stops: past the last supplied bin array (or the last
array with liquidity in the pair's bitmap), at a bin whose price the program cannot
compute, at a bin whose fill would overflow u64, or at u64::MAX atoms of input.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from solders.pubkey import Pubkey

from solarb_runtime.domain.amounts import U64_MAX
from solarb_runtime.venues.base import other_mint
from solarb_runtime.venues.curve import LegCurve, Piece
from solarb_runtime.venues.meteora_dlmm_layout import (
    BIN_LEN,
    BIN_ORDERS,
    BIN_ORDERS_OFFSET,
    BIN_RESERVES,
    BINS_PER_ARRAY,
    MAX_BIN_ID,
    MIN_BIN_ID,
)
from solarb_runtime.venues.meteora_dlmm_math import (
    BASIS_POINT_MAX,
    FEE_PRECISION,
    MAX_FEE_RATE,
    PriceOverflow,
    base_fee_rate,
    fee_on_input,
    next_array_with_liquidity,
    price_from_id,
    support_limit_order,
    update_references,
)

if TYPE_CHECKING:
    from solarb_runtime.venues.meteora_dlmm import DlmmState

_TWO_64 = float(1 << 64)
_U64_MAX_F = float(U64_MAX)
# Below this a layer cannot need more than u64::MAX input atoms, float error included.
_NEAR_U64 = _U64_MAX_F * 0.999
_NO_LIQUIDITY = LegCurve((Piece(0.0, 0.0, 0.0, 0.0, 1.0, 0.0),))


def is_swappable(state: DlmmState) -> bool:
    """Whether the program accepts a swap at all (enabled, and activated if it must be)."""
    pair = state.pair
    if pair.status != "enabled":
        return False
    if pair.pair_type in ("permission", "customizable-permissionless"):
        now = state.slot if pair.activation_type == "slot" else state.clock_unix_ts
        if now < pair.activation_point:
            return False
    return True


def leg_curve(state: DlmmState, mint_in: Pubkey) -> LegCurve:
    """The exact-in swap from `mint_in` as one line per bin walked (see the module doc).

    A pair that refuses swaps, or has no liquidity on the side the swap walks, gives a
    curve of capacity 0. Raises QuoteError when `mint_in` is not one of the pair's mints.
    """
    other_mint(state, mint_in)
    swap_for_y = mint_in == state.mint_a
    if not is_swappable(state):
        return _NO_LIQUIDITY
    fee_x = state.mint_x.transfer_fee(state.epoch).basis_points
    fee_y = state.mint_y.transfer_fee(state.epoch).basis_points
    bps_in, bps_out = (fee_x, fee_y) if swap_for_y else (fee_y, fee_x)
    keep_in = 1.0 - bps_in / BASIS_POINT_MAX
    keep_out = 1.0 - bps_out / BASIS_POINT_MAX
    if keep_in <= 0.0 or keep_out <= 0.0:
        return _NO_LIQUIDITY  # a 100% transfer fee: nothing reaches the pool or the trader

    pair = state.pair
    p = pair.parameters
    bin_step = pair.bin_step
    bitmap = pair.bin_array_bitmap
    active_id = pair.active_id
    v_ref, i_ref = update_references(p, pair.v_parameters, active_id, state.clock_unix_ts)
    base_rate = base_fee_rate(p, bin_step)
    vfc = p.variable_fee_control
    max_va = p.max_volatility_accumulator
    charge_input = fee_on_input(pair, swap_for_y)
    with_orders = support_limit_order(pair)
    arrays = {a.index: a.bins for a in state.bin_arrays}
    read_reserves = BIN_RESERVES.unpack_from
    read_orders = BIN_ORDERS.unpack_from
    step = -1 if swap_for_y else 1
    # Output per user-input atom = keep_in · p · (1 − f) · keep_out; the user input that
    # drains a bin = R / (keep_in · p · (1 − f if the fee is on input else 1)).
    in_scale = 1.0 / keep_in

    def walk(active_id: int) -> Iterator[Piece]:
        # Bins are yielded as the sizer reads them: a route's top is usually a few in.
        x0 = 0.0
        out0 = 0.0
        done = False
        while not done:
            array_index = active_id // BINS_PER_ARRAY
            found = next_array_with_liquidity(bitmap, array_index, swap_for_y)
            if found is None:
                break
            data = arrays.get(found)
            if data is None:
                break
            lower = found * BINS_PER_ARRAY
            upper = lower + BINS_PER_ARRAY - 1
            if found != array_index:
                active_id = upper if swap_for_y else lower
            while lower <= active_id <= upper:
                offset = (active_id - lower) * BIN_LEN
                amount_x, amount_y, price_lo, price_hi = read_reserves(data, offset)
                price = price_lo | price_hi << 64
                if not price:
                    try:
                        price = price_from_id(active_id, bin_step)
                    except PriceOverflow:
                        done = True  # the program fails the swap at this bin
                        break
                reserve = amount_y if swap_for_y else amount_x
                layers = opened = processed = 0
                if with_orders:
                    opened, processed, ask_side = read_orders(data, offset + BIN_ORDERS_OFFSET)
                    # Bid-side orders (ask flag 0) hold Y, so an X→Y swap fills them.
                    if (ask_side != 0) != swap_for_y:
                        layers = opened + processed
                if reserve or layers:
                    per_in = price / _TWO_64 if swap_for_y else _TWO_64 / price
                    if (reserve + layers) / per_in > _NEAR_U64 and _overflows(
                        (reserve, opened, processed) if layers else (reserve,), price, swap_for_y
                    ):
                        done = True  # the program's u64 check on a layer's full input fails
                        break
                    v_acc = v_ref + abs(i_ref - active_id) * BASIS_POINT_MAX
                    v_acc = min(v_acc, max_va)
                    rate = base_rate
                    if vfc:
                        scaled = v_acc * bin_step
                        rate += (vfc * scaled * scaled + 99_999_999_999) // 100_000_000_000
                    rate = min(rate, MAX_FEE_RATE)
                    keep_fee = 1.0 - rate / FEE_PRECISION
                    total = float(reserve + layers)
                    width = total / per_in * in_scale
                    if charge_input:
                        width /= keep_fee
                        gain = total * keep_out
                    else:
                        gain = total * keep_fee * keep_out
                    x1 = x0 + width
                    if x1 >= _U64_MAX_F:
                        # The program takes at most u64::MAX atoms in: cut the bin there.
                        if x0 < _U64_MAX_F:
                            slope = gain / width
                            yield Piece(x0, _U64_MAX_F, out0, slope, 1.0, 0.0)
                        done = True
                        break
                    yield Piece(x0, x1, out0, gain / width, 1.0, 0.0)
                    x0 = x1
                    out0 += gain
                active_id += step
                if not MIN_BIN_ID <= active_id <= MAX_BIN_ID:
                    done = True
                    break

    return LegCurve(walk(active_id))


def _overflows(layers: tuple[int, ...], price: int, swap_for_y: bool) -> bool:
    """Whether a layer's full input (`max_in`, rounded up) is past u64, as the program checks."""
    for out in layers:
        need = -((-out << 64) // price) if swap_for_y else -((-out * price) >> 64)
        if need > U64_MAX:
            return True
    return False


__all__ = ["is_swappable", "leg_curve"]
