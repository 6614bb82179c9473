"""Orca Whirlpools' continuous leg model: the exact-in swap range by range, without rounding.

Between two initialised ticks a Whirlpool is a constant-product pool on virtual reserves:
with L the active liquidity and √P = sqrt_price / 2^64, A→B sees X = L/√P atoms of A in
and Y = L·√P atoms of B out (B→A the other way round). The swap walks the targets of the
state's `SwapPath` (the program's `get_next_initialized_tick_index` answers, which stop
where the supplied tick arrays end or at the program's price bound); crossing an
initialised tick adds its liquidity_net (negated for A→B). One hyperbola per range with
L > 0; a range with no liquidity takes no input, so it adds no piece.

Fees, as the exact quote takes them, as proportional factors on the user's input x:

* the input mint's Token-2022 transfer fee: k_in = 1 − bps_in / 10^4;
* the trade fee, taken from what reaches the pool: k_fee = 1 − fee_rate / 10^6 (the
  protocol's share is carved out of that fee, so it moves no price and is no extra cost);
* the output mint's transfer fee: k_out = 1 − bps_out / 10^4.

So a range's piece is out = out0 + k_out·Y·k·u / (X + k·u) with k = k_in·k_fee, and the
range ends after (input the pool needs to reach the next target) / k atoms.

Deliberately not modelled: integer rounding (it always favours the pool, so the model is
an upper bound of the exact quote; the tests bound the gap), and the transfer fee's
`maximum_fee` cap (a capped fee makes large trades slightly better than modelled).

Capacity ends where the exact quote stops: at the last target the supplied arrays give
(the exact quote then fails) or at the program's price bound (it then fills partially),
at a crossing whose liquidity change the program refuses, at u64::MAX atoms of input or
where the pool's output would pass u64::MAX. It is never infinite.
"""

from __future__ import annotations

from collections.abc import Iterator

from solders.pubkey import Pubkey

from solarb_runtime.domain.amounts import U64_MAX, U128_MAX
from solarb_runtime.venues.base import other_mint
from solarb_runtime.venues.curve import NO_LIQUIDITY, LegCurve, Piece
from solarb_runtime.venues.orca_whirlpool_layout import SwapPath, WhirlpoolState, swap_path
from solarb_runtime.venues.orca_whirlpool_math import FEE_RATE_MUL_VALUE
from solarb_runtime.venues.token import ONE_IN_BASIS_POINTS

_Q64 = float(1 << 64)
_U64_MAX_F = float(U64_MAX)


def leg_curve(state: WhirlpoolState, mint_in: Pubkey) -> LegCurve:
    """The exact-in swap from `mint_in` as one hyperbola per tick range (see the module doc).

    Cached on the (immutable) state per direction. A pool with no liquidity the swap can
    reach, or none of its current array supplied, gives a curve of capacity 0. Raises
    QuoteError when `mint_in` is not one of the pool's mints.
    """
    other_mint(state, mint_in)
    a_to_b = mint_in == state.mint_a
    curve = state.leg_curves[a_to_b]
    if curve is None:
        curve = _build(state, a_to_b)
        state.leg_curves[a_to_b] = curve
    return curve


def _build(state: WhirlpoolState, a_to_b: bool) -> LegCurve:
    path = swap_path(state, a_to_b)
    price = state.sqrt_price
    limit = path.limit
    if not path.supplied or (price <= limit if a_to_b else price >= limit):
        return NO_LIQUIDITY
    keep_in = 1.0 - path.fee_in.basis_points / ONE_IN_BASIS_POINTS
    keep_out = 1.0 - path.fee_out.basis_points / ONE_IN_BASIS_POINTS
    if keep_in <= 0.0 or keep_out <= 0.0:
        return NO_LIQUIDITY  # a 100 % transfer fee: nothing reaches the pool or the trader
    k = keep_in * (FEE_RATE_MUL_VALUE - state.fee_rate) / FEE_RATE_MUL_VALUE
    return LegCurve(_walk(state, path, a_to_b, k, keep_out))


def _walk(
    state: WhirlpoolState, path: SwapPath, a_to_b: bool, k: float, keep_out: float
) -> Iterator[Piece]:
    """The tick ranges in swap order, built as the sizer reads them (often one or two)."""
    price = state.sqrt_price
    liquidity = state.liquidity
    x0 = 0.0
    out0 = 0.0  # the user's output (after the output transfer fee)
    pool_out = 0.0  # the pool's output (before it), which the program caps at u64::MAX
    for target, tick_price, delta, _start, _offset, _tick in path.hops:
        if liquidity and target != price:
            big_l = float(liquidity)
            root = price / _Q64
            # Both amounts from the exact integer price gap: no cancellation in floats.
            if a_to_b:
                gap = float(price - target)
                reserve_in, reserve_out = big_l / root, big_l * root
                need_in = big_l * gap / (float(price) * float(target)) * _Q64
                gives = big_l * gap / _Q64
            else:
                gap = float(target - price)
                reserve_in, reserve_out = big_l * root, big_l / root
                need_in = big_l * gap / _Q64
                gives = big_l * gap / (float(price) * float(target)) * _Q64
            x1 = x0 + need_in / k
            piece = Piece(x0, x1, out0, keep_out * reserve_out * k, reserve_in, k)
            x0 = x1
            out0 += keep_out * gives
            pool_out += gives
            capped = _cap(piece, keep_out)
            yield capped
            if capped is not piece or x0 >= _U64_MAX_F or pool_out >= _U64_MAX_F:
                return
        price = target
        if target == tick_price and delta is not None:
            liquidity += delta
            if not 0 <= liquidity <= U128_MAX:
                return  # the program fails the swap at this crossing


def _cap(piece: Piece, keep_out: float) -> Piece:
    """End a piece at u64::MAX atoms in, or where the pool's output reaches it (only the
    last piece can reach either: the walk stops there)."""
    end = min(piece.x1, _U64_MAX_F)
    most_out = _U64_MAX_F * keep_out
    if piece.out(end) > most_out:
        # Invert out0 + a·u / (b + c·u) = most_out for u.
        rest = most_out - piece.out0
        end = piece.x0 + rest * piece.b / (piece.a - piece.c * rest)
    if end == piece.x1:
        return piece
    return Piece(piece.x0, max(end, piece.x0), piece.out0, piece.a, piece.b, piece.c)
