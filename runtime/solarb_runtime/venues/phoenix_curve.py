"""Phoenix's continuous leg model: the exact-in swap level by level, without lot rounding.

A book level is constant sum: every lot taken costs `p · tick` adjusted quote lots (p the
price in ticks, tick the market's tick size in quote lots per base unit), and an adjusted
quote lot is 1 / `base_lots_per_base_unit` (b) of a quote lot. So the swap is one line per
price level it walks, in the book's matching priority, skipping tombstones and orders
expired at the state's clock exactly as the matching loop does.

With f = taker_fee_bps / 10_000, bls/qls the base/quote lot sizes in atoms:

* sell (base in, walks the bids): out = x / bls · p·tick / b · qls · (1 − f): the fee is
  taken out of the matched quote;
* buy (quote in, walks the asks): the program first shrinks the quote budget to
  budget · M / (M + ceil(M·f)), M = u64::MAX, i.e. by 1 / (1 + f) (the fee is paid on top of
  the matched quote), then out = budget_adjusted / (p·tick) · bls.

The taker fee is Phoenix's only charge on a swap (the fee recipient's share is part of it),
and the program moves SPL Token mints only, so there is no Token-2022 transfer fee to model.

The gap to the exact quote is lot quantisation (the program floors the input to whole lots
and fills whole base lots, and rounds the fee up to a quote lot): the model is an upper
bound, above the exact quote by under one base lot of output on a buy and under
2 + 1/b quote lots on a sell, once the input is floored to whole lots (see the tests).

Capacity is where the exact quote stops filling: the live book's end (a larger input is
refused as InsufficientLiquidity), an order whose value overflows u64 (the program aborts
on reaching it), or the u64 limits on the input, the matched quote and the output (cut to
whole lots there: those markets do not exist, the cut only has to be on the safe side).
A market that is not Active, or has no live order on the side a swap takes, gives a curve
of capacity 0.
"""

from __future__ import annotations

from collections.abc import Iterator

from solders.pubkey import Pubkey

from solarb_runtime.domain.amounts import U64_MAX
from solarb_runtime.venues.base import QuoteError
from solarb_runtime.venues.curve import NO_LIQUIDITY, LegCurve, Piece, line
from solarb_runtime.venues.phoenix_layout import PhoenixState
from solarb_runtime.venues.phoenix_math import BPS, BookSide, book_side, fee_adjustment


def is_sell(state: PhoenixState, mint_in: Pubkey) -> bool:
    """True when `mint_in` is the base mint (the swap sells into the bids)."""
    if mint_in == state.mint_a:
        return True
    if mint_in == state.mint_b:
        return False
    raise QuoteError(state.address, f"mint {mint_in} is not traded by this market")


def leg_curve(state: PhoenixState, mint_in: Pubkey) -> LegCurve:
    """The exact-in swap paying `mint_in`, one line per price level (see the module doc).

    Input and output in atoms. Pieces are built as the caller reads them (a route's top
    is usually a few levels in). Raises QuoteError when `mint_in` is not one of the
    market's two mints.
    """
    sell = is_sell(state, mint_in)
    if state.status != "Active":
        return NO_LIQUIDITY
    side = book_side(state, sell)
    if not side.starts:
        return NO_LIQUIDITY
    return LegCurve(_pieces(state, side, sell))


def _pieces(state: PhoenixState, side: BookSide, sell: bool) -> Iterator[Piece]:
    per_lots, cum_lots, cum_adjusted = side.per_lot, side.cum_lots, side.cum_adjusted
    b = state.base_lots_per_base_unit
    bls = state.base_lot_size
    qls = state.quote_lot_size
    bps = state.taker_fee_bps
    lot_cap = U64_MAX // bls
    # Caps in whole base lots and adjusted quote lots: u64 on the input, the matched quote
    # and the output, in atoms.
    if sell:
        adjusted_cap = min(U64_MAX, (U64_MAX // qls) * b)
        out_per_adjusted = qls * (BPS - bps) / (BPS * b)
        in_per_adjusted = 0.0
    else:
        shrink = fee_adjustment(bps)
        # budget · b ≤ u64::MAX, then shrunk by M / (M + fee); input ≤ u64::MAX atoms.
        budget_lots = min(U64_MAX // b, U64_MAX // qls)
        adjusted_cap = budget_lots * b * U64_MAX // shrink
        in_per_adjusted = qls * shrink / (b * float(U64_MAX))
        out_per_adjusted = 0.0
    x0 = out0 = 0.0
    starts = side.starts
    ends = [*starts[1:], len(per_lots)]
    for start, end in zip(starts, ends, strict=True):
        per_lot = per_lots[start]
        lots_before = cum_lots[start]
        lots_after = cum_lots[end]
        adjusted_after = cum_adjusted[end]
        capped = lots_after > lot_cap or adjusted_after > adjusted_cap
        if capped:  # the level ends at the first cap, in whole lots
            adjusted_before = cum_adjusted[start]
            take = min(lot_cap - lots_before, (adjusted_cap - adjusted_before) // per_lot)
            if take <= 0:
                return
            lots_after = lots_before + take
            adjusted_after = adjusted_before + take * per_lot
        # Ends from the exact running totals (no drift); the slope from the level's price.
        if sell:
            x1 = float(lots_after * bls)
            out1 = adjusted_after * out_per_adjusted
            rate = per_lot * out_per_adjusted / bls
        else:
            x1 = adjusted_after * in_per_adjusted
            out1 = float(lots_after * bls)
            rate = bls / (per_lot * in_per_adjusted)
        yield line(x0, x1, out0, rate)
        x0, out0 = x1, out1
        if capped:
            return


__all__ = ["is_sell", "leg_curve"]
