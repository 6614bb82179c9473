"""Phoenix's FIFO matching for a Swap (ImmediateOrCancel, market price), in exact integers.

Units, as the program names them: a base lot is `base_lot_size` base atoms, a quote lot
`quote_lot_size` quote atoms. A price in ticks `p` costs `p * tick_size_in_quote_lots_per_
base_unit` *adjusted* quote lots per base lot, where an adjusted quote lot is a quote lot
times `base_lots_per_base_unit` (the program's trick to keep a fill exact at lot size).

The program runs with `overflow-checks = true`, so any u64 product or sum that overflows
aborts the transaction; these functions raise AmountOutOfRange there instead.

Quotes do not run the matching loop order by order: each state keeps, per side, prefix
sums of its live orders (`BookSide`), and a fill that ends inside them is read off with a
bisection, to the same result as the loop. Anything else (the book running out, an order
worth more than u64, totals near u64::MAX) takes the loop itself.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from fractions import Fraction
from itertools import accumulate, compress, islice
from operator import itemgetter, mul, ne
from typing import NamedTuple

from solarb_runtime.domain.amounts import U64_MAX
from solarb_runtime.venues.base import AmountOutOfRange, InsufficientLiquidity, QuoteError
from solarb_runtime.venues.phoenix_layout import PhoenixOrder, PhoenixState

BPS = 10_000


class Match(NamedTuple):
    """What one IOC swap does to the book and the trader.

    `base_lots` is filled size; `quote_lots` what the trader pays (bid, fee included) or
    receives (ask, fee deducted); `fee_lots` the taker fee in quote lots. The opposite side
    afterwards is `book_after(side, match)`: orders before `rest` are gone (matched or
    expired) and, if `partial_lots` is not None, the order at `rest` is reduced to it. The
    book is only rebuilt on demand: a quote does not need it, only `apply` does.
    A NamedTuple: built once per quote on the hot path.
    """

    base_lots: int
    quote_lots: int
    fee_lots: int
    levels: int
    rest: int
    partial_lots: int | None


class BookSide(NamedTuple):
    """One side of the book as a swap walks it, precomputed once per state and side.

    Live orders only (tombstones and orders expired at the state's clock left out), in
    matching priority, up to the first order whose value overflows u64 (`overflow`: the
    program aborts on reaching it). Live order k is `book[raw[k]]`, `levels[k]` the price
    levels up to and including it; `cum_lots[k]`/`cum_adjusted[k]` are the base lots and
    adjusted quote lots of the live orders before k; `starts` the k where a level begins.
    `exact`: a fill inside the prefix sums is answered from them exactly as the matching
    loop would (totals below u64::MAX, no zero price); otherwise fills walk the book.
    """

    raw: list[int]
    per_lot: list[int]
    lots: list[int]
    levels: list[int]
    cum_lots: list[int]
    cum_adjusted: list[int]
    starts: list[int]
    overflow: bool
    exact: bool


_LOTS = itemgetter(3)


def book_side(state: PhoenixState, sell: bool) -> BookSide:
    """The side a sell (bids) or a buy (asks) walks, built on first use and kept on `state`."""
    side = state.sides.get(sell)
    if side is None:
        side = state.sides[sell] = _build_side(state, sell)
    return side


def _build_side(state: PhoenixState, sell: bool) -> BookSide:
    book = state.bids if sell else state.asks
    tick = state.tick_size_in_quote_lots_per_base_unit
    slot = state.slot
    now = state.clock_unix_timestamp
    # C-level passes where possible: every account update decodes a fresh state.
    raw = [
        i
        for i, (_, _, _, lots, valid_slot, valid_time) in enumerate(book)
        if lots
        and not (valid_slot and valid_slot < slot)
        and not (valid_time and (now is None or valid_time < now))
    ]
    live = book if len(raw) == len(book) else [book[i] for i in raw]
    prices = [order[0] for order in live]
    lots = list(map(_LOTS, live))
    per_lot = [price * tick for price in prices]
    values = list(map(mul, per_lot, lots))
    overflow = bool(values) and max(values) > U64_MAX
    if overflow:
        end = next(k for k, value in enumerate(values) if value > U64_MAX)
        del raw[end:], prices[end:], lots[end:], per_lot[end:], values[end:]
    new_level = list(map(ne, prices, islice(prices, 1, None)))
    levels = list(accumulate(new_level, initial=1)) if prices else []
    starts = [0, *compress(range(1, len(prices)), new_level)] if prices else []
    cum_lots = list(accumulate(lots, initial=0))
    cum_adjusted = list(accumulate(values, initial=0))
    exact = cum_lots[-1] < U64_MAX and cum_adjusted[-1] < U64_MAX and 0 not in prices
    return BookSide(raw, per_lot, lots, levels, cum_lots, cum_adjusted, starts, overflow, exact)


def book_after(book: tuple[PhoenixOrder, ...], m: Match) -> tuple[PhoenixOrder, ...]:
    """The side `m` was matched against, after the match."""
    if m.partial_lots is None:
        return book[m.rest :]
    return (book[m.rest]._replace(num_base_lots=m.partial_lots), *book[m.rest + 1 :])


def compute_fee(adjusted_quote_lots: int, taker_fee_bps: int) -> int:
    """The program's `compute_fee`: ceil(size * bps / 10_000), in adjusted quote lots."""
    return (adjusted_quote_lots * taker_fee_bps + BPS - 1) // BPS


_FEE_ADJUSTMENTS: dict[int, int] = {}


def fee_adjustment(bps: int) -> int:
    """M + ceil(M·bps / 10_000), M = u64::MAX: a buy's adjusted budget is shrunk by
    M / this (the program divides by u64::MAX * (1 + fee) for precision, then downcasts)."""
    found = _FEE_ADJUSTMENTS.get(bps)
    if found is None:
        found = compute_fee(U64_MAX, bps) + U64_MAX
        if bps <= BPS:  # bounded: one entry per possible fee
            _FEE_ADJUSTMENTS[bps] = found
    return found


def min_bid_budget(matched_adjusted: int, state: PhoenixState) -> int:
    """Smallest quote lot budget whose adjusted budget reaches `matched_adjusted`."""
    denominator = state.base_lots_per_base_unit * U64_MAX
    return -(-(matched_adjusted * fee_adjustment(state.taker_fee_bps)) // denominator)


def is_expired(order: PhoenixOrder, slot: int, unix_timestamp: int | None) -> bool:
    """The program's `is_expired`; an unknown clock time expires timestamp-limited orders."""
    if order.last_valid_slot and order.last_valid_slot < slot:
        return True
    limit = order.last_valid_unix_timestamp_in_seconds
    return bool(limit) and (unix_timestamp is None or limit < unix_timestamp)


def match(
    state: PhoenixState,
    book: tuple[PhoenixOrder, ...],
    base_lot_budget: int,
    adjusted_budget: int,
) -> tuple[int, int, int, int, int | None]:
    """The program's `match_order` loop over `book` (the side being taken).

    Returns (matched base lots, matched adjusted quote lots, price levels filled, index of
    the first order not consumed, the lots left in that order if it was partially filled,
    else None). Raises InsufficientLiquidity when the live book runs out with budget left.
    """
    tick = state.tick_size_in_quote_lots_per_base_unit
    slot = state.slot
    now = state.clock_unix_timestamp
    matched_base = matched_adjusted = levels = 0
    last_price = -1
    index = 0
    n = len(book)
    while base_lot_budget > 0 and adjusted_budget > 0:
        if index == n:
            raise InsufficientLiquidity(state.address, "swap walks past the whole book")
        order = book[index]
        index += 1
        price, _, _, lots, valid_slot, valid_time = order
        # The program removes tombstones and expired orders as it meets them.
        if (
            lots == 0
            or (valid_slot and valid_slot < slot)
            or (valid_time and (now is None or valid_time < now))
        ):
            continue
        per_lot = price * tick
        quoted = per_lot * lots
        if quoted > U64_MAX:
            raise AmountOutOfRange(state.address, "resting order value overflows u64")
        if lots <= base_lot_budget and quoted <= adjusted_budget:
            base_lot_budget -= lots
            adjusted_budget -= quoted
            matched_base += lots
            matched_adjusted += quoted
        else:
            # Budget exhausted inside this order: take what fits, then the program stops.
            filled = min(base_lot_budget, adjusted_budget // per_lot)
            matched_base += filled
            matched_adjusted += per_lot * filled
            if matched_adjusted > U64_MAX:
                raise AmountOutOfRange(state.address, "matched quote lots overflow u64")
            if filled == 0:
                return matched_base, matched_adjusted, levels, index - 1, None
            if price != last_price:
                levels += 1
            return matched_base, matched_adjusted, levels, index - 1, lots - filled
        if matched_adjusted > U64_MAX:
            raise AmountOutOfRange(state.address, "matched quote lots overflow u64")
        if price != last_price:
            levels += 1
            last_price = price
    return matched_base, matched_adjusted, levels, index, None


Filled = tuple[int, int, int, int, int, int | None]


def buy_fill(state: PhoenixState, quote_lot_budget: int) -> Filled:
    """`buy` as a plain tuple in `Match`'s field order (the quote path builds no Match).

    The matching loop is answered from the side's prefix sums when the budget ends inside
    them: whole orders while they fit, then whole lots of the first that does not.
    """
    b = state.base_lots_per_base_unit
    adjusted_budget = quote_lot_budget * b
    if adjusted_budget > U64_MAX:
        raise AmountOutOfRange(state.address, "quote lot budget overflows u64")
    budget = adjusted_budget * U64_MAX // fee_adjustment(state.taker_fee_bps)
    budget = min(budget, U64_MAX)
    side = state.sides.get(False) or book_side(state, False)
    cum_adjusted = side.cum_adjusted
    if side.exact and 0 < budget <= cum_adjusted[-1]:
        j = bisect_right(cum_adjusted, budget) - 1
        rest = budget - cum_adjusted[j]
        filled = rest // side.per_lot[j] if rest else 0
        base, adjusted, levels, index, partial = _prefix_fill(side, j, filled, not rest)
    else:
        base, adjusted, levels, index, partial = match(state, state.asks, U64_MAX, budget)
    fee = _fee_lots(adjusted, state)
    if adjusted + b - 1 > U64_MAX:
        raise AmountOutOfRange(state.address, "matched quote rounding overflows u64")
    quote = -(-adjusted // b) + fee  # round_adjusted_quote_lots_up, then the fee on top
    return base, quote, fee, levels, index, partial


def sell_fill(state: PhoenixState, base_lot_budget: int) -> Filled:
    """`sell` as a plain tuple in `Match`'s field order (the quote path builds no Match).

    From the prefix sums when the budget ends inside them, as in `buy_fill`.
    """
    side = state.sides.get(True) or book_side(state, True)
    cum_lots = side.cum_lots
    if side.exact and 0 < base_lot_budget <= cum_lots[-1]:
        j = bisect_right(cum_lots, base_lot_budget) - 1
        filled = base_lot_budget - cum_lots[j]
        base, adjusted, levels, index, partial = _prefix_fill(side, j, filled, not filled)
    else:
        base, adjusted, levels, index, partial = match(state, state.bids, base_lot_budget, U64_MAX)
    fee = _fee_lots(adjusted, state)
    gross = adjusted // state.base_lots_per_base_unit
    if fee > gross:
        raise QuoteError(state.address, "fee exceeds the matched quote lots")
    return base, gross - fee, fee, levels, index, partial


def _fee_lots(adjusted: int, state: PhoenixState) -> int:
    """The taker fee on `adjusted` quote lots (`compute_fee`), rounded up to quote lots."""
    b = state.base_lots_per_base_unit
    fee = compute_fee(adjusted, state.taker_fee_bps)
    if fee + b - 1 > U64_MAX:
        raise AmountOutOfRange(state.address, "fee rounding overflows u64")
    return (fee + b - 1) // b


def _prefix_fill(
    side: BookSide, j: int, filled: int, ends_whole: bool
) -> tuple[int, int, int, int, int | None]:
    """`match`'s answer read off the prefix sums: live orders before `j` whole, then `filled`
    lots of order `j`; `ends_whole` when the budget ends exactly with order j - 1."""
    base = side.cum_lots[j]
    adjusted = side.cum_adjusted[j]
    if filled:
        adjusted += filled * side.per_lot[j]
        return base + filled, adjusted, side.levels[j], side.raw[j], side.lots[j] - filled
    if ends_whole:  # the program moves past order j - 1 and stops
        return base, adjusted, side.levels[j - 1], side.raw[j - 1] + 1, None
    # Not one lot of order j: the program stops in front of it.
    return base, adjusted, side.levels[j - 1] if j else 0, side.raw[j], None


def buy(state: PhoenixState, quote_lot_budget: int) -> Match:
    """IOC bid with `num_quote_lots = quote_lot_budget`: walk the asks."""
    return Match._make(buy_fill(state, quote_lot_budget))


def sell(state: PhoenixState, base_lot_budget: int) -> Match:
    """IOC ask with `num_base_lots = base_lot_budget`: walk the bids."""
    return Match._make(sell_fill(state, base_lot_budget))


def adjusted_cost_of(state: PhoenixState, book: tuple[PhoenixOrder, ...], base_lots: int) -> int:
    """Adjusted quote lots to take `base_lots` from `book` in priority order (live orders)."""
    if book is state.asks or book is state.bids:
        side = book_side(state, book is state.bids)
        before = side.cum_lots
        if side.exact and 0 <= base_lots <= before[-1]:
            j = bisect_right(before, base_lots) - 1
            extra = base_lots - before[j]
            adjusted = side.cum_adjusted[j]
            return adjusted + extra * side.per_lot[j] if extra else adjusted
    tick = state.tick_size_in_quote_lots_per_base_unit
    remaining = base_lots
    cost = 0
    for order in book:
        if remaining == 0:
            return cost
        if order.num_base_lots == 0 or is_expired(order, state.slot, state.clock_unix_timestamp):
            continue
        take = min(remaining, order.num_base_lots)
        cost += order.price_in_ticks * tick * take
        remaining -= take
    if remaining:
        raise InsufficientLiquidity(state.address, "the book holds fewer base lots than asked")
    return cost


def base_lots_for_gross(state: PhoenixState, gross_quote_lots: int) -> int:
    """Fewest base lots to sell into the bids so the matched quote reaches `gross_quote_lots`."""
    needed = gross_quote_lots * state.base_lots_per_base_unit  # in adjusted quote lots
    side = book_side(state, True)
    before = side.cum_adjusted
    if side.exact and 0 < needed <= before[-1]:
        # The first order whose end reaches `needed`, then whole lots of it, rounded up.
        j = bisect_left(before, needed) - 1
        return side.cum_lots[j] - (before[j] - needed) // side.per_lot[j]
    tick = state.tick_size_in_quote_lots_per_base_unit
    lots = 0
    for order in state.bids:
        if needed <= 0:
            return lots
        if order.num_base_lots == 0 or is_expired(order, state.slot, state.clock_unix_timestamp):
            continue
        per_lot = order.price_in_ticks * tick
        value = per_lot * order.num_base_lots
        if value >= needed:
            return lots + -(-needed // per_lot)
        lots += order.num_base_lots
        needed -= value
    if needed > 0:
        raise InsufficientLiquidity(state.address, "the bids cannot pay the requested amount")
    return lots


def ladder(
    orders: tuple[PhoenixOrder, ...], slot: int, unix_timestamp: int | None
) -> tuple[tuple[int, int], ...]:
    """L2 levels (price in ticks, size in base lots) of live orders, in priority order."""
    levels: list[list[int]] = []
    for order in orders:
        if order.num_base_lots == 0 or is_expired(order, slot, unix_timestamp):
            continue
        if levels and levels[-1][0] == order.price_in_ticks:
            levels[-1][1] += order.num_base_lots
        else:
            levels.append([order.price_in_ticks, order.num_base_lots])
    return tuple((p, s) for p, s in levels)


def ticks_to_price(state: PhoenixState, ticks: int) -> Fraction:
    """Quote units per raw base unit (the UI price) of a price in ticks."""
    numerator = ticks * state.tick_size_in_quote_lots_per_base_unit * state.quote_lot_size
    return Fraction(numerator, 10**state.decimals_b * state.raw_base_units_per_base_unit)


def price_to_ticks(state: PhoenixState, price: Fraction) -> int:
    """Whole ticks at or below a UI price (quote units per raw base unit)."""
    per_tick = ticks_to_price(state, 1)
    return int(price // per_tick)


def ticks_to_atom_price(state: PhoenixState, ticks: int) -> Fraction:
    """Quote atoms per base atom of a price in ticks."""
    numerator = ticks * state.tick_size_in_quote_lots_per_base_unit * state.quote_lot_size
    return Fraction(numerator, state.base_lots_per_base_unit * state.base_lot_size)
