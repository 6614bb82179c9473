"""Native phoenix against the Python venue: same bytes in, same quotes, pieces and refusals.

The Python venue (`venues/phoenix*.py`) is the reference; the native pool comes from the
very account bytes the venue's `encode` writes, through `venues/native.py`. States are the
sim's books, mainnet-shaped samples, and random markets with tombstones, expired orders,
100% fees and orders worth more than u64 (the edge paths of the matching).
"""

from __future__ import annotations

import dataclasses
import math
import random
from fractions import Fraction

import solarb_native
from hypothesis import given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.domain.amounts import U64_MAX
from solarb_runtime.domain.keys import SPL_TOKEN_PROGRAM
from solarb_runtime.sources.sim_makers import default_makers, derived_key
from solarb_runtime.sources.sim_market import PoolSpec, SimToken
from solarb_runtime.venues.base import AmountOutOfRange, DecodeError, QuoteError
from solarb_runtime.venues.native import NativePool, native_account, native_pool
from solarb_runtime.venues.phoenix import Phoenix, PhoenixVenue
from solarb_runtime.venues.phoenix_layout import (
    BOOKS_OFFSET,
    HEADER_LEN,
    MARKET_PADDING_LEN,
    ORDER_NODE_LEN,
    STATUSES,
    TREE_HEADER_LEN,
    PhoenixState,
)
from solarb_runtime.venues.phoenix_math import ladder
from solarb_runtime.venues.phoenix_samples import sample_request, sample_state
from tests.native.parity import native_swap, python_swap
from tests.venues.test_phoenix_support import random_market, small_sample

KIND = "phoenix"
PieceTuple = tuple[float, float, float, float, float, float]


# -- helpers ------------------------------------------------------------------------------


def _decode(state: PhoenixState) -> tuple[RawAccount, PhoenixState, NativePool]:
    """The market's account, the Python venue's decode of it, and the native pool."""
    raw, deps = Phoenix.encode(state)
    py = PhoenixVenue().state(raw, deps)
    nat = native_pool(KIND, raw, deps, Phoenix.dependencies(raw))
    assert nat is not None, solarb_native.decline_reason(KIND, native_account(raw), [])
    return raw, py, nat


def _py_pieces(state: PhoenixState, sell: bool) -> list[PieceTuple]:
    curve = Phoenix.curve(state, state.mint_a if sell else state.mint_b)
    return [(p.x0, p.x1, p.out0, p.a, p.b, p.c) for p in curve.pieces]


def _amounts(rng: random.Random, state: PhoenixState, sell: bool, exact_in: bool) -> list[int]:
    """Tiny (under a lot), typical (walks 1-5 levels), past the book, and the u64 edges."""
    lot = state.base_lot_size if sell == exact_in else state.quote_lot_size
    out = [0, 1, lot - 1, lot, lot + 1, U64_MAX, U64_MAX + 1]
    out += [rng.randint(1, 3 * lot) for _ in range(3)]
    out += [int(10 ** rng.uniform(0, 19.2)) for _ in range(12)]
    live = [ladder(book, state.slot, None) for book in (state.bids, state.asks)]
    if all(live):  # sample_request walks a live level on either side
        for _ in range(6):
            mint, amount, _ = sample_request(rng, state)
            if (mint == state.mint_a) == sell:
                out += [amount, amount * rng.randint(2, 50)]
    return [a for a in out if a >= 0]


def _check_quotes(rng: random.Random, state: PhoenixState, pool: NativePool) -> int:
    """Assert parity on many amounts, both directions, exact in and out; count fills."""
    filled = 0
    for sell in (True, False):
        for exact_in in (True, False):
            for amount in _amounts(rng, state, sell, exact_in):
                want = python_swap(Phoenix, state, sell, amount, exact_in)
                got = native_swap(pool, sell, amount, exact_in)
                assert got == want, (sell, exact_in, amount, want, got)
                filled += isinstance(want, tuple)
    return filled


def _check_pieces(state: PhoenixState, pool: NativePool) -> None:
    for sell in (True, False):
        want = _py_pieces(state, sell)
        assert pool.pieces(sell, math.inf) == want
        # A finite x_max: a prefix of the same pieces that covers it (or all of them).
        for x_max in (0.0, want[len(want) // 2][1], want[-1][1] / 3):
            got = pool.pieces(sell, x_max)
            assert got == want[: len(got)]
            assert got[-1][1] >= x_max or len(got) == len(want)


_MAKER = default_makers()[KIND]
_SOL = SimToken("SOL", derived_key("phx-native", "sol"), 9, 150.0)
_USDC = SimToken("USDC", derived_key("phx-native", "usdc"), 6, 1.0)
_BONK = SimToken("BONK", derived_key("phx-native", "bonk"), 5, 0.00002)
_WBTC = SimToken("WBTC", derived_key("phx-native", "wbtc"), 8, 60_000.0)
_PAIRS = ((_SOL, _USDC), (_BONK, _USDC), (_WBTC, _USDC), (_BONK, _SOL), (_WBTC, _SOL))


def _sim_state(rng: random.Random) -> PhoenixState:
    """A book the sim's maker posts, at a fair price, for a listed pair and random depth."""
    a, b = rng.choice(_PAIRS)
    address = derived_key("phx-native-pool", rng.random())
    spec = PoolSpec(KIND, address, a, b, 10 ** rng.uniform(2, 6))
    atoms = a.price_usd / 10**a.decimals / (b.price_usd / 10**b.decimals)
    price = Fraction(atoms * rng.uniform(0.98, 1.02)).limit_denominator(10**12)
    state = _MAKER.make(spec, price, rng)
    assert isinstance(state, PhoenixState)
    return dataclasses.replace(state, slot=rng.randint(1, 10**6))


def _extreme_state(rng: random.Random) -> PhoenixState:
    """Random books with lot parameters near the native bounds (u128 and float edges)."""
    state = random_market(rng, huge=0.1)
    b = rng.choice([1, 7, 2**20 + 1, 2**47 - 3])
    return dataclasses.replace(
        state,
        base_lot_size=rng.choice([1, 3, 2**40 + 7, 2**63 + 1]),
        quote_lot_size=rng.choice([1, 3, 2**40 + 1, 2**47 - 1]),
        base_lots_per_base_unit=b,
        tick_size_in_quote_lots_per_base_unit=b * rng.choice([1, 3, 10]),
    )


# -- 1. quote parity ------------------------------------------------------------------------


def test_sim_books_quote_like_the_reference() -> None:
    rng = random.Random(11)
    filled = 0
    for _ in range(40):
        state = _sim_state(rng)
        _, py, nat = _decode(state)
        filled += _check_quotes(rng, py, nat)
        # After a taker trade the book is partly taken: quote that too.
        mint, amount, exact_in = sample_request(rng, py)
        quote = (Phoenix.quote_exact_in if exact_in else Phoenix.quote_exact_out)(py, mint, amount)
        _, py2, nat2 = _decode(Phoenix.apply(py, quote))
        filled += _check_quotes(rng, py2, nat2)
    assert filled > 2000  # most requests fill: the parity is not only on refusals


def test_mainnet_shaped_samples_quote_like_the_reference() -> None:
    rng = random.Random(12)
    filled = 0
    for _ in range(12):
        _, py, nat = _decode(sample_state(rng))
        filled += _check_quotes(rng, py, nat)
    assert filled > 12 * 20  # about a third of the requests fill


@settings(max_examples=120, deadline=None)
@given(seed=st.integers(0, 2**32), extreme=st.booleans())
def test_random_markets_quote_like_the_reference(seed: int, extreme: bool) -> None:
    """Tombstones, expired orders, 0-100% fees, orders worth more than u64, odd lot sizes."""
    rng = random.Random(seed)
    state = _extreme_state(rng) if extreme else random_market(rng, huge=0.05)
    _, py, nat = _decode(state)
    _check_quotes(rng, py, nat)
    _check_pieces(py, nat)


def test_inactive_markets_refuse_and_model_nothing() -> None:
    rng = random.Random(13)
    for status in STATUSES:
        _, py, nat = _decode(dataclasses.replace(small_sample(rng), status=status))
        _check_quotes(rng, py, nat)
        _check_pieces(py, nat)
        if status != "Active":
            assert native_swap(nat, True, 10**12, True) is QuoteError


# -- 2. pieces parity -----------------------------------------------------------------------


def test_pieces_equal_the_reference_curve() -> None:
    rng = random.Random(14)
    states = [_sim_state(rng) for _ in range(20)] + [sample_state(rng) for _ in range(6)]
    for state in states:
        _, py, nat = _decode(state)
        _check_pieces(py, nat)
        assert len(nat.pieces(True, math.inf)) > 1 or not py.bids


# -- 3. decode fuzz -------------------------------------------------------------------------


def _compare_decode(raw: RawAccount, rng: random.Random) -> str:
    """Native Ok ⇒ the reference decodes and quotes the same; reference error ⇒ native
    error or decline; native error ⇒ reference error. Returns which case it was."""
    try:
        py: PhoenixState | None = PhoenixVenue().state(raw, {})
    except DecodeError:
        py = None
    try:
        nat = native_pool(KIND, raw, {}, ())
    except DecodeError:
        assert py is None, "native rejects what the reference decodes"
        return "rejected"
    if nat is None:
        return "declined"
    assert py is not None, "native decodes what the reference rejects"
    assert (nat.mint_a, nat.mint_b) == (bytes(py.mint_a), bytes(py.mint_b))
    assert (nat.decimals_a, nat.decimals_b, nat.slot) == (py.decimals_a, py.decimals_b, py.slot)
    for sell in (True, False):
        for exact_in in (True, False):
            for amount in (1, 10**6, 10**12, int(10 ** rng.uniform(0, 19))):
                assert native_swap(nat, sell, amount, exact_in) == python_swap(
                    Phoenix, py, sell, amount, exact_in
                )
        assert nat.pieces(sell, math.inf) == _py_pieces(py, sell)
    return "decoded"


def _mutate(rng: random.Random, state: PhoenixState, data: bytearray) -> None:
    """Overwrite a header, scalar, tree-header or node field with an edge value or noise."""
    asks_at = BOOKS_OFFSET + TREE_HEADER_LEN + ORDER_NODE_LEN * state.bids_size
    spans = [
        (0, 320),  # header fields
        (HEADER_LEN + MARKET_PADDING_LEN, BOOKS_OFFSET),  # lot/tick/fee scalars
        (BOOKS_OFFSET, BOOKS_OFFSET + TREE_HEADER_LEN + ORDER_NODE_LEN * (len(state.bids) + 1)),
        (asks_at, asks_at + TREE_HEADER_LEN + ORDER_NODE_LEN * (len(state.asks) + 1)),
    ]
    lo, hi = rng.choice(spans)
    width = rng.choice([1, 4, 8])
    at = rng.randrange(lo, hi - 8) // width * width
    top = (1 << (8 * width)) - 1
    value = rng.choice([0, 1, 2, 5, 10_000, 10_001, top, top >> 1, rng.randint(0, top)])
    if width == 1:
        data[at] ^= 1 << rng.randrange(8)
    else:
        data[at : at + width] = value.to_bytes(width, "little")


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32), edits=st.integers(1, 4))
def test_mutated_accounts_decode_like_the_reference(seed: int, edits: int) -> None:
    rng = random.Random(seed)
    state = small_sample(rng) if rng.random() < 0.7 else random_market(rng, huge=0.05)
    raw, _ = Phoenix.encode(state)
    data = bytearray(raw.data)
    for _ in range(edits):
        _mutate(rng, state, data)
    _compare_decode(dataclasses.replace(raw, data=bytes(data)), rng)


def test_fuzz_reaches_every_outcome() -> None:
    """The mutations above are not all harmless or all fatal: both sides are exercised."""
    rng = random.Random(15)
    seen: dict[str, int] = {}
    for _ in range(150):
        state = small_sample(rng)
        raw, _ = Phoenix.encode(state)
        data = bytearray(raw.data)
        _mutate(rng, state, data)
        case = _compare_decode(dataclasses.replace(raw, data=bytes(data)), rng)
        seen[case] = seen.get(case, 0) + 1
    assert seen.get("decoded", 0) > 20, seen
    assert seen.get("rejected", 0) > 20, seen


def test_bad_accounts_are_rejected_like_the_reference() -> None:
    rng = random.Random(16)
    raw, _ = Phoenix.encode(small_sample(rng))
    data = raw.data
    cases = [
        dataclasses.replace(raw, owner=SPL_TOKEN_PROGRAM),
        dataclasses.replace(raw, data=data[:-1]),
        dataclasses.replace(raw, data=data + b"\x00"),
        dataclasses.replace(raw, data=data[: BOOKS_OFFSET - 1]),
        dataclasses.replace(raw, data=b""),
        dataclasses.replace(raw, data=bytes(len(data))),
        dataclasses.replace(raw, data=rng.randbytes(len(data))),
    ]
    for bad in cases:
        assert _compare_decode(bad, rng) == "rejected"


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=1024), pad=st.booleans())
def test_random_bytes_never_crash(data: bytes, pad: bool) -> None:
    """Arbitrary bytes (padded to a real market length or not): typed errors, no panic."""
    if pad:
        data += bytes(84_336 - len(data))  # market_len(512, 512, 128)
    raw = RawAccount(pubkey=Pubkey.new_unique(), owner=Phoenix.program_id, data=data, slot=9)
    _compare_decode(raw, random.Random(len(data)))


def test_dependencies_are_ignored_like_the_reference() -> None:
    """A market has no dependencies: extra ones change nothing (the reference ignores them)."""
    raw, _, nat = _decode(small_sample(random.Random(17)))
    other = solarb_native.decode(KIND, native_account(raw), [None, native_account(raw)])
    assert other is not None
    assert other.same(nat)


# -- 4. declines and sameness ---------------------------------------------------------------


def test_declines_what_the_native_core_does_not_model() -> None:
    """Phoenix moves SPL Token mints only (no Token-2022 to decline); what the native core
    declines is decimals past u8 and lot parameters past its u128 bounds, which the
    reference still decodes and quotes."""
    rng = random.Random(18)
    cases: list[tuple[str, dict[str, int]]] = [
        ("decimals", {"decimals_a": 300}),
        ("lot", {"quote_lot_size": 2**48}),
        ("lot", {"base_lots_per_base_unit": 2**48, "tick_size_in_quote_lots_per_base_unit": 2**49}),
    ]
    for word, changes in cases:
        state = dataclasses.replace(small_sample(rng), **changes)  # type: ignore[arg-type]
        raw, deps = Phoenix.encode(state)
        py = PhoenixVenue().state(raw, deps)
        reason = solarb_native.decline_reason(KIND, native_account(raw), [])
        assert reason is not None
        assert word in reason, reason
        assert native_pool(KIND, raw, deps, ()) is None
        assert py.decimals_a == state.decimals_a  # the reference decodes it


def test_same_tracks_what_quotes_depend_on() -> None:
    rng = random.Random(19)
    state = small_sample(rng)
    _, py, nat = _decode(state)
    assert nat.same(_decode(state)[2])
    # Fee counters and the sequence number do not change a quote.
    counters = dataclasses.replace(state, collected_quote_lot_fees=1, market_sequence_number=9)
    assert nat.same(_decode(counters)[2])
    mint, amount, exact_in = sample_request(rng, py)
    quote = (Phoenix.quote_exact_in if exact_in else Phoenix.quote_exact_out)(py, mint, amount)
    assert not nat.same(_decode(Phoenix.apply(py, quote))[2])
    assert not nat.same(_decode(dataclasses.replace(state, taker_fee_bps=7))[2])


def test_overflowing_orders_refuse_as_amount_errors() -> None:
    """A walk reaching an order worth more than u64 is refused as the program aborts."""
    rng = random.Random(20)
    state = random_market(rng)
    while len(state.asks) < 2:
        state = random_market(rng)
    tick = state.tick_size_in_quote_lots_per_base_unit
    asks = [
        o._replace(last_valid_slot=0, last_valid_unix_timestamp_in_seconds=0) for o in state.asks
    ]
    asks[-1] = asks[-1]._replace(num_base_lots=U64_MAX // (asks[-1].price_in_ticks * tick) + 1)
    _, py, nat = _decode(dataclasses.replace(state, asks=tuple(asks), status="Active"))
    got = native_swap(nat, False, 10**15, True)
    assert got is AmountOutOfRange
    assert python_swap(Phoenix, py, False, 10**15, True) is AmountOutOfRange
    # Exact out past the other asks is the same overflow, not a shortage.
    lots = sum(o.num_base_lots for o in asks[:-1]) + 1
    amount = lots * state.base_lot_size
    assert native_swap(nat, False, amount, False) is AmountOutOfRange
    assert python_swap(Phoenix, py, False, amount, False) is AmountOutOfRange
