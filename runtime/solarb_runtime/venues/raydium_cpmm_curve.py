"""Raydium CPMM's exact-in swap as a continuous leg model (`LegCurve`) for the sizer.

The program's `swap_base_input`, rounding taken out, for a trader paying x atoms:

* the input mint's Token-2022 fee leaves arriving = x·(1 − bps_in) (or x − max_in once the
  fee hits its cap);
* the trade fee (and the creator fee when charged on the input) leaves
  less = arriving·f, f = 1 − (trade [+ creator]) / 1e6;
* the curve pays swapped = R_out·less / (R_in + less) over the reserves the quote uses
  (vault balances less accrued protocol, fund and creator fees);
* a creator fee charged on the output keeps g = 1 − creator / 1e6 of it, and the output
  mint's transfer fee keeps (1 − bps_out), or takes a flat max_out once capped.

Protocol and fund fees are shares of the trade fee: they change the accrued counters, not
this swap's output, so they need no term here. Transfer-fee caps are modelled, not ignored:
each cap is a kink (the fee stops growing), so the model has one hyperbola per stretch
between kinks (one piece without Token-2022 fees, at most three). The capacity is the
largest input the program accepts: u64, and the input vault staying within u64 (the pool
never runs dry, the output only tends to R_out). A pool the program refuses outright
(halted, empty, zero combined fee rate on the input) has capacity 0.

Every rounding the program does is down for the trader, so the model is an upper bound on
the exact quote: at most 2 atoms of `less` lost on the way in (worth 2·dswapped/dless of
output) and under 3 atoms on the way out.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from solarb_runtime.domain.amounts import U64_MAX
from solarb_runtime.venues.base import other_mint
from solarb_runtime.venues.curve import NO_LIQUIDITY, LegCurve, Piece
from solarb_runtime.venues.raydium_cpmm_math import FEE_RATE_DENOMINATOR, FastPath, SwapPath
from solarb_runtime.venues.token import ONE_IN_BASIS_POINTS, TransferFee

if TYPE_CHECKING:
    from solders.pubkey import Pubkey

    from solarb_runtime.venues.raydium_cpmm import CpmmState

_D = float(FEE_RATE_DENOMINATOR)
_BPS = float(ONE_IN_BASIS_POINTS)
_INF = math.inf


def leg_curve(state: CpmmState, mint_in: Pubkey) -> LegCurve:
    """The exact-in swap paying `mint_in` on `state`, as pieces in input atoms (floats).

    Built once per (state, direction) and kept on the state, which is immutable.
    """
    other_mint(state, mint_in)
    a_to_b = mint_in == state.mint_a
    memo = state.curves
    curve = memo.get(a_to_b)
    if curve is None:
        # No fast path: a halted pool, or a zero combined fee rate on the input (the
        # program's fee split divides by it): refused either way.
        if a_to_b:
            path, fast = state.path_a_to_b, state.fast_a_to_b
        else:
            path, fast = state.path_b_to_a, state.fast_b_to_a
        curve = NO_LIQUIDITY if fast is None else path_curve(path, fast)
        memo[a_to_b] = curve
    return curve


def capacity(path: SwapPath) -> int:
    """The largest amount in the program accepts: u64, and the input vault within u64."""
    room = U64_MAX - path.vault_in
    fee = path.fee_in
    if fee is None:
        return min(U64_MAX, room)
    bps, cap = fee.basis_points, fee.maximum_fee
    # arriving(x) = max(x − ceil(x·bps/1e4), x − cap) is non-decreasing; both terms ≤ room.
    most = room + cap
    if bps < ONE_IN_BASIS_POINTS:
        keep = ONE_IN_BASIS_POINTS - bps
        # floor(x·keep/1e4) ≤ room  ⟺  x·keep < (room + 1)·1e4
        most = min(most, -(-(room + 1) * ONE_IN_BASIS_POINTS // keep) - 1)
    return min(U64_MAX, most)


def path_curve(path: SwapPath, fast: FastPath) -> LegCurve:
    """The curve of one swap direction, `fast` its hot-path form (the pool accepts swaps)."""
    reserve_in, reserve_out, _, _, fee_in, fee_out, _ = path
    f = fast.keep / _D  # what the input keeps of the trade (and input-side creator) fee
    g = fast.keep_creator / _D  # what the output keeps of an output-side creator fee
    most_atoms = capacity(path)
    if most_atoms <= 0:
        return NO_LIQUIDITY
    most = float(most_atoms)
    if most > most_atoms:  # rounded up: every input the model admits must be one the program takes
        most = math.nextafter(most, 0.0)
    r_in, r_out = float(reserve_in), float(reserve_out)
    keep_in, max_in, kink_in = _regime(fee_in)
    keep_out, max_out, kink_out = _regime(fee_out)
    if fee_in is None and fee_out is None:
        # The common pool: one hyperbola, out = g·R_out·f·x / (R_in + f·x).
        return LegCurve((Piece(0.0, most, 0.0, g * r_out * f, r_in, f),))
    # Where the output fee caps: the pool's output g·swapped reaches kink_out.
    x_out = _INF
    if kink_out < g * r_out:
        arriving = kink_out * r_in / (f * (g * r_out - kink_out))
        arriving_at_kink_in = keep_in * kink_in  # == kink_in − max_in
        x_out = arriving / keep_in if arriving < arriving_at_kink_in else arriving + max_in
    starts = sorted({0.0, *(x for x in (kink_in, x_out) if 0.0 < x < most)})
    pieces: list[Piece] = []
    for i, x0 in enumerate(starts):
        x1 = starts[i + 1] if i + 1 < len(starts) else most
        if x0 >= kink_in:
            arriving0, alpha = x0 - max_in, 1.0  # alpha: d arriving / dx on this stretch
        else:
            arriving0, alpha = keep_in * x0, keep_in
        b = r_in + f * arriving0
        # Recomputed, not chained from the last piece: two kinks closer than a float's
        # resolution must still leave the output cap's offset in place.
        out_pool0 = g * r_out * f * arriving0 / b
        if x0 >= x_out:
            out0, phi = out_pool0 - max_out, g
        else:
            out0, phi = out_pool0 * keep_out, g * keep_out
        # swapped(x0 + u) − swapped(x0) = R_out·f·α·u·R_in / (b·(b + f·α·u)).
        pieces.append(Piece(x0, x1, out0, phi * r_out * f * alpha * r_in / b, b, f * alpha))
    return LegCurve(tuple(pieces))


def _regime(fee: TransferFee | None) -> tuple[float, float, float]:
    """(share kept below the cap, the cap, the pre-fee amount where the cap starts)."""
    if fee is None:
        return 1.0, 0.0, _INF
    bps = fee.basis_points
    return (ONE_IN_BASIS_POINTS - bps) / _BPS, float(fee.maximum_fee), fee.maximum_fee * _BPS / bps
