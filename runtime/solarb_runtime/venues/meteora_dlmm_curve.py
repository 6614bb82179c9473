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
from solarb_runtime.venues.curve import NO_LIQUIDITY, LegCurve, Piece, line
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
    PriceOverflow,
    SwapContext,
    next_array_with_liquidity,
    price_from_id,
    refusal,
)

if TYPE_CHECKING:
    from solarb_runtime.venues.meteora_dlmm import DlmmState

_TWO_64 = float(1 << 64)
_U64_MAX_F = float(U64_MAX)
# Below this a layer cannot need more than u64::MAX input atoms, float error included.
_NEAR_U64 = _U64_MAX_F * 0.999


def leg_curve(state: DlmmState, mint_in: Pubkey, ctx: SwapContext | None = None) -> LegCurve:
    """The exact-in swap from `mint_in` as one line per bin walked (see the module doc).

    `ctx` is the state's swap context when the caller has it (built here otherwise). A
    pair that refuses swaps, or has no liquidity on the side the swap walks, gives a
    curve of capacity 0. Raises QuoteError when `mint_in` is not one of the pair's mints.
    """
    other_mint(state, mint_in)
    swap_for_y = mint_in == state.mint_a
    if refusal(state.pair, state.slot, state.clock_unix_ts) is not None:
        return NO_LIQUIDITY
    fee_x = state.mint_x.transfer_fee(state.epoch).basis_points
    fee_y = state.mint_y.transfer_fee(state.epoch).basis_points
    bps_in, bps_out = (fee_x, fee_y) if swap_for_y else (fee_y, fee_x)
    keep_in = 1.0 - bps_in / BASIS_POINT_MAX
    keep_out = 1.0 - bps_out / BASIS_POINT_MAX
    if keep_in <= 0.0 or keep_out <= 0.0:
        return NO_LIQUIDITY  # a 100% transfer fee: nothing reaches the pool or the trader

    if ctx is None:
        arrays_by_index = {a.index: a for a in state.bin_arrays}
        ctx = SwapContext(state.pair, arrays_by_index, state.address, state.clock_unix_ts)
    bin_step = ctx.bin_step
    bitmap = ctx.bitmap
    charge_input = ctx.sides[swap_for_y].charge_input
    with_orders = ctx.with_orders
    arrays = ctx.arrays
    fee_rate = ctx.fee_rate
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
                    keep_fee = 1.0 - fee_rate(active_id) / FEE_PRECISION
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
                            yield line(x0, _U64_MAX_F, out0, slope)
                        done = True
                        break
                    yield line(x0, x1, out0, gain / width)
                    x0 = x1
                    out0 += gain
                active_id += step
                if not MIN_BIN_ID <= active_id <= MAX_BIN_ID:
                    done = True
                    break

    return LegCurve(walk(ctx.active_id))


def _overflows(layers: tuple[int, ...], price: int, swap_for_y: bool) -> bool:
    """Whether a layer's full input (`max_in`, rounded up) is past u64, as the program checks."""
    for out in layers:
        need = -((-out << 64) // price) if swap_for_y else -((-out * price) >> 64)
        if need > U64_MAX:
            return True
    return False


__all__ = ["leg_curve"]
