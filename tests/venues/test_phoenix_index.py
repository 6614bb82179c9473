"""Phoenix's shortcuts against the long way: prefix-sum fills and the decoded-book memo.

Quotes answer the matching loop from per-state prefix sums (`phoenix_math.BookSide`), and
the venue reuses a side's decoded orders when its tree bytes did not change. Both must be
invisible: every result and every error exactly as without them.
"""

from __future__ import annotations

import dataclasses
import random
import struct
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.venues.base import DecodeError, VenueError
from solarb_runtime.venues.phoenix import Phoenix, PhoenixVenue, at_clock
from solarb_runtime.venues.phoenix_layout import (
    BOOKS_OFFSET,
    ORDER_NODE_LEN,
    TREE_HEADER_LEN,
    BookMemo,
    PhoenixState,
    decode_market,
)
from solarb_runtime.venues.phoenix_math import (
    adjusted_cost_of,
    base_lots_for_gross,
    book_side,
    buy_fill,
    sell_fill,
)
from tests.venues.test_phoenix_support import random_market, sample_state, small_sample


def _walking(state: PhoenixState) -> PhoenixState:
    """A copy of `state` whose sides say `exact=False`: every fill walks the book."""
    copy = dataclasses.replace(state)
    for sell in (True, False):
        copy.sides[sell] = book_side(copy, sell)._replace(exact=False)
    return copy


def _outcome(call: Callable[..., object], *args: object) -> object:
    """The result of `call(*args)`, or the type and message of the venue error it raised."""
    try:
        return call(*args)
    except VenueError as exc:
        return (type(exc), str(exc))


def _budgets(rng: random.Random, cums: list[int]) -> list[int]:
    """Budgets on, next to and between the prefix sums, and past the end."""
    picked = set()
    for _ in range(12):
        at = rng.choice(cums)
        picked.update((at - 1, at, at + 1))
        picked.add(rng.randint(0, cums[-1] + 2))
    return sorted(b for b in picked if b >= 0)


def _market(rng: random.Random) -> PhoenixState:
    if rng.random() < 0.3:
        return sample_state(rng)
    state = random_market(rng, huge=0.05)
    return at_clock(state, state.slot + rng.randint(-6, 6), state.clock_unix_timestamp)


def test_prefix_sum_fills_equal_the_matching_loop() -> None:
    rng = random.Random(99)
    compared = 0
    for _ in range(150):
        fast = _market(rng)
        slow = _walking(fast)
        bids, asks = book_side(fast, True), book_side(fast, False)
        b = fast.base_lots_per_base_unit
        calls: list[tuple[Callable[..., object], tuple[object, ...]]] = []
        for lots in _budgets(rng, bids.cum_lots):
            calls += [(sell_fill, (lots,)), (adjusted_cost_of, ("bids", lots))]
        for lots in _budgets(rng, asks.cum_lots):
            calls.append((adjusted_cost_of, ("asks", lots)))
        for adjusted in _budgets(rng, asks.cum_adjusted):
            # Quote lot budgets whose adjusted budget lands on or next to `adjusted`.
            quote_lots = adjusted * (10_000 + fast.taker_fee_bps) // (10_000 * b)
            calls += [(buy_fill, (quote_lots,)), (buy_fill, (quote_lots + 1,))]
        for adjusted in _budgets(rng, bids.cum_adjusted):
            calls.append((base_lots_for_gross, (-(-adjusted // b),)))
        for fn, args in calls:
            compared += 1
            fast_args = [getattr(fast, a) if isinstance(a, str) else a for a in args]
            slow_args = [getattr(slow, a) if isinstance(a, str) else a for a in args]
            assert _outcome(fn, fast, *fast_args) == _outcome(fn, slow, *slow_args), (fn, args)
    assert compared > 5000


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), exact_in=st.booleans(), sell=st.booleans())
def test_quotes_equal_the_matching_loop(seed: int, exact_in: bool, sell: bool) -> None:
    rng = random.Random(seed)
    fast = _market(rng)
    slow = _walking(fast)
    mint = fast.mint_a if sell else fast.mint_b
    quote = Phoenix.quote_exact_in if exact_in else Phoenix.quote_exact_out
    for amount in {rng.randint(1, 10**k) for k in range(1, 19)}:
        assert _outcome(quote, fast, mint, amount) == _outcome(quote, slow, mint, amount)


# -- the decoded-book memo ----------------------------------------------------------------


def _raw(state: PhoenixState, data: bytes | None = None, slot: int = 7) -> RawAccount:
    raw, _ = Phoenix.encode(state)
    return dataclasses.replace(raw, data=raw.data if data is None else data, slot=slot)


def _same(a: PhoenixState, b: PhoenixState) -> bool:
    return a == b and (a.bids, a.asks) == (b.bids, b.asks)


def test_a_changed_side_is_decoded_again_and_an_unchanged_one_reused() -> None:
    rng = random.Random(3)
    venue = PhoenixVenue()
    state = small_sample(rng)
    first = venue.state(_raw(state), {})
    # A new ask at the back of the book: the asks tree changes, the bids tree does not.
    last = state.asks[-1]
    more = (*state.asks, last._replace(price_in_ticks=last.price_in_ticks + 1))
    changed = dataclasses.replace(state, asks=more, market_sequence_number=1)
    second = venue.state(_raw(changed, slot=8), {})
    assert second.asks == more
    assert second.bids is first.bids  # reused, not re-read
    assert _same(second, decode_market(_raw(changed, slot=8)))
    # Back to the first book: equal to a fresh decode again.
    assert _same(venue.state(_raw(state), {}), first)


def test_a_corrupt_update_after_a_good_one_still_raises() -> None:
    rng = random.Random(4)
    venue = PhoenixVenue()
    state = small_sample(rng)
    good = _raw(state)
    venue.state(good, {})
    data = bytearray(good.data)
    # The bids' root now points at itself from its left link: a cycle.
    root = struct.unpack_from("<I", data, BOOKS_OFFSET)[0]
    node = BOOKS_OFFSET + TREE_HEADER_LEN + (root - 1) * ORDER_NODE_LEN
    struct.pack_into("<I", data, node, root)
    with pytest.raises(DecodeError, match="bids tree has a bad node link"):
        venue.state(dataclasses.replace(good, data=bytes(data)), {})
    with pytest.raises(DecodeError, match="bids tree has a bad node link"):
        venue.state(dataclasses.replace(good, data=bytes(data)), {})
    assert _same(venue.state(good, {}), decode_market(good))


def test_a_walk_past_the_allocated_nodes_is_never_reused() -> None:
    rng = random.Random(5)
    state = small_sample(rng)
    raw = _raw(state)
    data = bytearray(raw.data)
    n = len(state.bids)
    # Claim fewer allocated nodes than the tree uses: the walk reads past the bump index.
    struct.pack_into("<I", data, BOOKS_OFFSET + 24, n)
    memo = BookMemo()
    first = decode_market(dataclasses.replace(raw, data=bytes(data)), memo)
    assert first.bids == state.bids
    # Change the last node's order size: outside the "allocated" region the memo compares.
    node = BOOKS_OFFSET + TREE_HEADER_LEN + (n - 1) * ORDER_NODE_LEN
    lots = struct.unpack_from("<Q", data, node + 40)[0]
    struct.pack_into("<Q", data, node + 40, lots + 1)
    second = decode_market(dataclasses.replace(raw, data=bytes(data)), memo)
    assert second.bids == decode_market(dataclasses.replace(raw, data=bytes(data))).bids
    assert second.bids != first.bids


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), flips=st.integers(1, 4))
def test_memo_decodes_equal_fresh_decodes_over_updates(seed: int, flips: int) -> None:
    """Updates of one market (good, mutated, good again) decode as without the memo."""
    rng = random.Random(seed)
    state = small_sample(rng)
    memo = BookMemo(limit=2)
    good = _raw(state)
    live_end = BOOKS_OFFSET + 2 * TREE_HEADER_LEN + ORDER_NODE_LEN * (512 + len(state.asks))
    for step in range(6):
        data = bytearray(good.data)
        if step % 2:
            for _ in range(flips):
                data[rng.randrange(BOOKS_OFFSET, live_end)] = rng.randrange(256)
        raw = dataclasses.replace(good, data=bytes(data))
        expected = _outcome(decode_market, raw)
        got = _outcome(decode_market, raw, memo)
        if isinstance(expected, PhoenixState):
            assert isinstance(got, PhoenixState)
            assert _same(got, expected)
        else:
            assert got == expected
