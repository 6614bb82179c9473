"""Phoenix venue: golden vectors derived from the program's rules, properties, decoder fuzz."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import random
import struct
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.domain.amounts import U64_MAX
from solarb_runtime.domain.keys import SPL_TOKEN_PROGRAM
from solarb_runtime.venues.base import (
    AmountOutOfRange,
    DecodeError,
    InsufficientLiquidity,
    QuoteError,
    VenueError,
)
from solarb_runtime.venues.phoenix import Phoenix, at_clock
from solarb_runtime.venues.phoenix_layout import (
    HEADER_LEN,
    LOG_AUTHORITY,
    MARKET_DISCRIMINANT,
    PROGRAM_ID,
    decode_market,
    market_len,
)
from solarb_runtime.venues.phoenix_math import ladder, price_to_ticks, ticks_to_price
from solarb_runtime.venues.phoenix_samples import sample_request, sample_state
from tests.venues.test_phoenix_support import (
    BASE,
    QUOTE,
    add_freed_node,
    small_sample,
    sol_usdc,
)

# Book used by most vectors (SOL/USDC shape, 2 bps): one base lot at p ticks costs p quote
# lots, i.e. p * 1000 adjusted quote lots (base_lots_per_base_unit b = 1000).
ASKS = [(150_000, 5), (150_010, 10)]
BIDS = [(149_990, 3), (149_980, 100)]


def quote(state, mint_in, amount, exact_in=True):
    if exact_in:
        return Phoenix.quote_exact_in(state, mint_in, amount)
    return Phoenix.quote_exact_out(state, mint_in, amount)


# -- golden vectors ------------------------------------------------------------------------


def test_buy_exact_in_walks_two_levels_and_rounds_the_fee_up() -> None:
    # 1 USDC = 1_000_000 quote lots; budget = floor(1e9 * M / (M + ceil(M * 2e-4))) with
    # M = u64::MAX, about 1e9 / 1.0002 = 999_800_039. Level 1: 5 lots = 750_000_000 fits;
    # 249_800_039 left buys floor(249_800_039 / 150_010_000) = 1 lot of level 2. Matched
    # 900_010_000 adjusted = 900_010 quote lots; fee ceil(ceil(900_010_000 * 2 / 1e4) / 1000)
    # = ceil(180_002 / 1000) = 181 lots (rounded up). Paid 900_191 atoms for 6 lots.
    state = sol_usdc(ASKS, BIDS)
    q = quote(state, QUOTE, 1_000_000)
    assert (q.amount_in, q.amount_out, q.fee, q.steps) == (900_191, 6_000_000, 181, 2)
    assert (q.mint_in, q.mint_out, q.exact_in) == (QUOTE, BASE, True)


def test_buy_budget_edge_one_quote_lot_decides_a_base_lot() -> None:
    # 7 lots cost 750_000_000 + 2 * 150_010_000 = 1_050_020_000 adjusted. The smallest
    # budget Q with floor(Q * 1000 * M / (M + F)) >= that is ceil(1_050_020 * (M + F) / M)
    # = ceil(1_050_230.004...) = 1_050_231. One lot less leaves 1_050_019_996 adjusted:
    # still 6 lots, paying the same 900_191 as above.
    state = sol_usdc(ASKS, BIDS)
    at_edge = quote(state, QUOTE, 1_050_231)
    below = quote(state, QUOTE, 1_050_230)
    # 7 lots: 1_050_020 quote lots + fee ceil(210_004 / 1000) = 211.
    assert (at_edge.amount_in, at_edge.amount_out, at_edge.fee) == (1_050_231, 7_000_000, 211)
    assert (below.amount_in, below.amount_out) == (900_191, 6_000_000)


def test_buy_exact_out_rounds_up_to_whole_lots() -> None:
    # 0.0065 SOL needs ceil(6.5) = 7 lots; the minimal budget is 1_050_231 (see above).
    state = sol_usdc(ASKS, BIDS)
    q = quote(state, QUOTE, 6_500_000, exact_in=False)
    assert (q.amount_in, q.amount_out, q.fee, q.exact_in) == (1_050_231, 7_000_000, 211, False)


def test_sell_exact_in_keeps_the_sub_lot_remainder_and_deducts_the_fee() -> None:
    # 4.5 lots of atoms -> 4 base lots. 3 @ 149_990 + 1 @ 149_980 = 599_950_000 adjusted =
    # 599_950 quote lots gross; fee ceil(599_950 * 2 / 1e4) = ceil(119.99) = 120; net 599_830.
    state = sol_usdc(ASKS, BIDS)
    q = quote(state, BASE, 4_500_000)
    assert (q.amount_in, q.amount_out, q.fee, q.steps) == (4_000_000, 599_830, 120, 2)


def test_sell_exact_out_finds_the_fewest_base_lots() -> None:
    # Net 300_000 needs gross g with g - ceil(g * 2 / 1e4) >= 300_000: g = ceil(3e9 / 9998)
    # = 300_061 (net 300_000; 300_060 nets 299_999). That is 300_061_000 adjusted, so
    # ceil(300_061_000 / 149_990_000) = 3 lots of the best bid: gross 449_970, fee 90.
    state = sol_usdc(ASKS, BIDS)
    q = quote(state, BASE, 300_000, exact_in=False)
    assert (q.amount_in, q.amount_out, q.fee) == (3_000_000, 449_880, 90)


def test_zero_fee_budget_is_exact() -> None:
    # bps 0: budget = Q * b exactly. 300_010 lots -> 300_010_000 adjusted -> 2 lots at
    # 150_000_000 each, 10_000 left (less than a lot). Pays 300_000, no fee.
    state = sol_usdc(ASKS, BIDS, taker_fee_bps=0)
    q = quote(state, QUOTE, 300_010)
    assert (q.amount_in, q.amount_out, q.fee) == (300_000, 2_000_000, 0)


def test_expired_orders_are_skipped_and_removed_by_apply() -> None:
    # The 150_000 ask expired at slot 999 < 1000. Budget 999_800_039 buys
    # floor(999_800_039 / 150_010_000) = 6 lots at 150_010: 900_060 + ceil(180_012/1000) = 181.
    state = sol_usdc([(150_000, 5, 999), (150_010, 10), (150_020, 4)], BIDS)
    q = quote(state, QUOTE, 1_000_000)
    assert (q.amount_in, q.amount_out) == (900_241, 6_000_000)
    after = Phoenix.apply(state, q)
    assert [(o.price_in_ticks, o.num_base_lots) for o in after.asks] == [(150_010, 4), (150_020, 4)]
    assert after.unclaimed_quote_lot_fees == state.unclaimed_quote_lot_fees + 181
    assert after.market_sequence_number == state.market_sequence_number + 1
    assert after.bids == state.bids


def test_last_valid_slot_is_inclusive() -> None:
    state = sol_usdc([(150_000, 5, 1000)], BIDS)
    assert ladder(state.asks, 1000, None) == ((150_000, 5),)
    assert ladder(state.asks, 1001, None) == ()


def test_timestamp_limits_need_a_clock() -> None:
    state = sol_usdc([(150_000, 5, 0, 1_700_000_000), (150_010, 10)], BIDS)
    # Unknown time: the timestamp-limited order is treated as expired (pessimistic).
    assert ladder(state.asks, state.slot, None) == ((150_010, 10),)
    assert ladder(state.asks, state.slot, 1_700_000_000) == ((150_000, 5), (150_010, 10))
    assert ladder(state.asks, state.slot, 1_700_000_001) == ((150_010, 10),)
    live = at_clock(state, state.slot, 1_699_999_999)
    assert quote(live, QUOTE, 1_000_000).amount_in == 900_191


def test_full_fill_removes_orders_and_partial_reduces() -> None:
    state = sol_usdc(ASKS, BIDS)
    after = Phoenix.apply(state, quote(state, BASE, 4_500_000))
    assert [(o.price_in_ticks, o.num_base_lots) for o in after.bids] == [(149_980, 99)]
    assert after.asks == state.asks


def test_mid_price_in_atoms() -> None:
    # (149_990 + 150_000) / 2 ticks; a tick is 1000 quote atoms per 1e9 base atoms.
    state = sol_usdc(ASKS, BIDS)
    assert Phoenix.mid_price(state) == Fraction(149_995 * 1000, 10**9)


def test_ui_price_conversions() -> None:
    state = sol_usdc(ASKS, BIDS)
    assert ticks_to_price(state, 150_000) == Fraction(150)  # 150 USDC per SOL
    assert price_to_ticks(state, Fraction(150_0005, 10_000)) == 150_000


@pytest.mark.parametrize(
    ("state", "mint", "amount", "error"),
    [
        (sol_usdc(ASKS, BIDS, status="PostOnly"), QUOTE, 1_000_000, QuoteError),
        (sol_usdc(ASKS, BIDS), Pubkey.default(), 1_000_000, QuoteError),
        (sol_usdc(ASKS, BIDS), QUOTE, 0, AmountOutOfRange),
        (sol_usdc(ASKS, BIDS), QUOTE, U64_MAX + 1, AmountOutOfRange),
        (sol_usdc(ASKS, BIDS), BASE, 999_999, AmountOutOfRange),  # under one base lot
        (sol_usdc(ASKS, BIDS), QUOTE, 149_999, AmountOutOfRange),  # buys no lot
        (sol_usdc(ASKS, BIDS), QUOTE, 10**12, InsufficientLiquidity),
        (sol_usdc(ASKS, BIDS), BASE, 200_000_000, InsufficientLiquidity),
        (sol_usdc([], BIDS), QUOTE, 1_000_000, InsufficientLiquidity),
        (sol_usdc([(1 << 40, 1 << 20)], BIDS), QUOTE, 10**6, AmountOutOfRange),
    ],
)
def test_refusals_are_typed(state, mint, amount, error) -> None:
    with pytest.raises(error) as info:
        quote(state, mint, amount)
    assert str(state.address) in str(info.value)


def test_exact_out_past_the_book_is_insufficient() -> None:
    state = sol_usdc(ASKS, BIDS)
    with pytest.raises(InsufficientLiquidity):
        quote(state, QUOTE, 16_000_000, exact_in=False)  # 16 lots > 15 on offer
    with pytest.raises(InsufficientLiquidity):
        quote(state, BASE, 10**9, exact_in=False)


def test_apply_refuses_a_quote_from_another_state() -> None:
    state = sol_usdc(ASKS, BIDS)
    q = quote(state, QUOTE, 1_000_000)
    with pytest.raises(QuoteError):
        Phoenix.apply(sol_usdc([(150_001, 5)], BIDS), q)


# -- instruction ---------------------------------------------------------------------------


def _ioc(side: int, base_lots: int, quote_lots: int, min_base: int, min_quote: int) -> bytes:
    # Swap tag 0; OrderPacket variant 2 (ImmediateOrCancel); side; price None; four u64s;
    # self-trade Abort (0); match_limit None; client_order_id u128 0; use_only_deposited
    # false; last_valid_slot None; last_valid_unix_timestamp None.
    return (
        bytes([0, 2, side, 0])
        + struct.pack("<QQQQ", base_lots, quote_lots, min_base, min_quote)
        + bytes([0, 0])
        + bytes(16)
        + bytes([0, 0, 0])
    )


def test_swap_instruction_sell_layout() -> None:
    state = sol_usdc(ASKS, BIDS)
    owner, src, dst = (Pubkey.new_unique() for _ in range(3))
    ix = Phoenix.swap_instruction(
        state,
        owner=owner,
        mint_in=BASE,
        amount=4_500_000,
        other_amount_threshold=599_000,
        exact_in=True,
        source=src,
        destination=dst,
    )
    assert ix.program_id == PROGRAM_ID
    assert bytes(ix.data) == _ioc(1, 4, 0, 0, 599_000)
    metas = [(m.pubkey, m.is_signer, m.is_writable) for m in ix.accounts]
    assert metas == [
        (PROGRAM_ID, False, False),
        (LOG_AUTHORITY, False, False),
        (state.address, False, True),
        (owner, True, False),
        (src, False, True),  # base account: the source of a sell
        (dst, False, True),
        (state.base_vault, False, True),
        (state.quote_vault, False, True),
        (SPL_TOKEN_PROGRAM, False, False),
    ]


def test_swap_instruction_buy_uses_the_minimal_budget() -> None:
    # 6 lots cost 900_010_000 adjusted: minimal Q = ceil(900_010 * (M + F) / M) = 900_191.
    state = sol_usdc(ASKS, BIDS)
    owner, src, dst = (Pubkey.new_unique() for _ in range(3))
    ix = Phoenix.swap_instruction(
        state,
        owner=owner,
        mint_in=QUOTE,
        amount=1_000_000,
        other_amount_threshold=5_500_000,
        exact_in=True,
        source=src,
        destination=dst,
    )
    assert bytes(ix.data) == _ioc(0, 0, 900_191, 6, 0)
    assert [m.pubkey for m in ix.accounts][4:6] == [dst, src]
    with pytest.raises(QuoteError):
        Phoenix.swap_instruction(
            state,
            owner=owner,
            mint_in=QUOTE,
            amount=6_500_000,
            other_amount_threshold=1_050_230,  # one atom under the required input
            exact_in=False,
            source=src,
            destination=dst,
        )


# -- properties ----------------------------------------------------------------------------

seeds = st.integers(min_value=0, max_value=2**32)


def _live_lots(book):
    return sum(size for _, size in book)


@settings(max_examples=60, deadline=None)
@given(seed=seeds, fraction=st.floats(min_value=0.0001, max_value=1.2), sell=st.booleans())
def test_no_value_created_and_rounding_against_the_trader(seed, fraction, sell) -> None:
    state = sample_state(random.Random(seed))
    side = state.bids if sell else state.asks
    levels = ladder(side, state.slot, state.clock_unix_timestamp)
    tick = state.tick_size_in_quote_lots_per_base_unit
    total_lots = _live_lots(levels)
    total_adjusted = sum(p * tick * s for p, s in levels)
    b, fee = state.base_lots_per_base_unit, Fraction(state.taker_fee_bps, 10_000)
    if sell:
        amount = max(1, int(total_lots * fraction)) * state.base_lot_size
    else:
        amount = max(1, int(total_adjusted // b * fraction)) * state.quote_lot_size
    try:
        q = quote(state, state.mint_a if sell else state.mint_b, amount)
    except (InsufficientLiquidity, AmountOutOfRange):
        assert fraction >= 0.999 or fraction < 0.01
        return
    assert q.amount_in <= amount
    lots = (q.amount_in if sell else q.amount_out) // state.base_lot_size
    # Value of the filled lots at book prices, walking the book (exact rational).
    value, left = Fraction(0), lots
    for price, size in levels:
        take = min(left, size)
        value += Fraction(price * tick * take, b)
        left -= take
    assert left == 0
    assert lots <= total_lots
    if sell:
        assert Fraction(q.amount_out, state.quote_lot_size) <= value * (1 - fee)
    else:
        assert Fraction(q.amount_in, state.quote_lot_size) >= value * (1 + fee)


@settings(max_examples=60, deadline=None)
@given(seed=seeds, a=st.integers(1, 10**7), d=st.integers(0, 10**7), sell=st.booleans())
def test_monotone_and_exact_out_inverts_exact_in(seed, a, d, sell) -> None:
    state = sample_state(random.Random(seed))
    mint = state.mint_a if sell else state.mint_b
    # Sells in thousandths of a base lot, buys in thousands of quote lots (plus one atom).
    unit = state.base_lot_size // 1000 if sell else state.quote_lot_size * 1000
    x, y = a * unit + 1, (a + d) * unit + 1
    try:
        qx, qy = quote(state, mint, x), quote(state, mint, y)
    except (InsufficientLiquidity, AmountOutOfRange):
        return
    assert qx.amount_out <= qy.amount_out
    back = quote(state, mint, qx.amount_out, exact_in=False)
    assert back.amount_in <= x
    assert back.amount_out >= qx.amount_out


@settings(max_examples=40, deadline=None)
@given(seed=seeds)
def test_apply_replays_the_quote(seed) -> None:
    rng = random.Random(seed)
    state = sample_state(rng)
    mint, amount, exact_in = sample_request(rng, state)
    q = quote(state, mint, amount, exact_in)
    after = Phoenix.apply(state, q)
    sell = mint == state.mint_a
    before_book = state.bids if sell else state.asks
    after_book = after.bids if sell else after.asks
    clock = (state.slot, state.clock_unix_timestamp)
    filled = _live_lots(ladder(before_book, *clock)) - _live_lots(ladder(after_book, *clock))
    assert filled * state.base_lot_size == (q.amount_in if sell else q.amount_out)
    assert after.unclaimed_quote_lot_fees - state.unclaimed_quote_lot_fees == q.fee
    # What is left is still a valid book: it encodes and decodes.
    assert decode_market(Phoenix.encode(after)[0]).asks == after.asks


@settings(max_examples=25, deadline=None)
@given(seed=seeds)
def test_encode_decode_and_json_round_trip(seed) -> None:
    state = small_sample(random.Random(seed))
    raw, deps = Phoenix.encode(state)
    assert deps == {}
    assert len(raw.data) == market_len(512, 512, 128)
    decoded = Phoenix.state(raw, deps)
    assert decoded == dataclasses.replace(state, clock_unix_timestamp=None)
    assert Phoenix.dependencies(raw) == ()
    doc = json.loads(json.dumps(Phoenix.state_to_json(decoded)))
    assert Phoenix.state_from_json(doc) == decoded
    stringly = {k: (str(v) if isinstance(v, int) else v) for k, v in doc.items()}
    assert Phoenix.state_from_json(stringly) == decoded


def test_decoder_ignores_freed_nodes() -> None:
    state = small_sample(random.Random(5))
    raw, _ = Phoenix.encode(state)
    data = add_freed_node(add_freed_node(raw.data, state, bids=True), state, bids=False)
    decoded = decode_market(RawAccount(raw.pubkey, raw.owner, data, slot=raw.slot))
    assert (decoded.bids, decoded.asks) == (state.bids, state.asks)


def test_json_errors_name_the_field() -> None:
    doc = Phoenix.state_to_json(sol_usdc(ASKS, BIDS))
    for field, value in [("taker_fee_bps", -1), ("mint_a", "nope"), ("status", "Open")]:
        with pytest.raises(DecodeError, match=field):
            Phoenix.state_from_json({**doc, field: value})
    unsorted = {**doc, "asks": list(reversed(doc["asks"]))}
    with pytest.raises(DecodeError, match="asks"):
        Phoenix.state_from_json(unsorted)


# -- decoder: typed refusals and fuzz ------------------------------------------------------


def _raw(data: bytes, owner: Pubkey = PROGRAM_ID) -> RawAccount:
    return RawAccount(pubkey=Pubkey.new_unique(), owner=owner, data=data, slot=9)


def test_decoder_refusals_are_typed() -> None:
    data = Phoenix.encode(sol_usdc(ASKS, BIDS))[0].data
    assert struct.unpack_from("<Q", data)[0] == MARKET_DISCRIMINANT
    cases = {
        "owner": _raw(data, owner=SPL_TOKEN_PROGRAM),
        "shorter": _raw(data[:100]),
        "discriminant": _raw(b"\x00" + data[1:]),
        "bytes, expected": _raw(data + b"\x00"),
        "status": _raw(data[:8] + struct.pack("<Q", 9) + data[16:]),
        "size params": _raw(data[:16] + struct.pack("<Q", 100) + data[24:]),
        "not initialized": _raw(data[: HEADER_LEN + 272] + bytes(8) + data[HEADER_LEN + 280 :]),
    }
    for reason, raw in cases.items():
        with pytest.raises(DecodeError, match=reason):
            decode_market(raw)


def _assert_typed(raw: RawAccount) -> None:
    """Decoding (and quoting what decodes) either works or raises a typed venue error."""
    try:
        state = Phoenix.state(raw, {})
    except DecodeError as exc:
        error = exc
    else:
        for mint in (state.mint_a, state.mint_b):
            with contextlib.suppress(VenueError):
                Phoenix.quote_exact_in(state, mint, 10**9)
        return
    assert str(raw.pubkey) in str(error)


@settings(max_examples=40, deadline=None)
@given(data=st.binary(min_size=0, max_size=2048))
def test_fuzz_random_bytes(data) -> None:
    _assert_typed(_raw(data))
    _assert_typed(_raw(data + bytes(market_len(512, 512, 128) - len(data))))


@settings(max_examples=150, deadline=None)
@given(seed=seeds, flips=st.integers(1, 6), region=st.sampled_from(["header", "trees", "any"]))
def test_fuzz_mutated_market(seed, flips, region) -> None:
    rng = random.Random(seed)
    state = small_sample(rng)
    data = bytearray(Phoenix.encode(state)[0].data)
    live_end = HEADER_LEN + 304 + 32 + 64 * max(len(state.bids), 1)
    spans = {
        "header": (0, HEADER_LEN + 304),
        "trees": (HEADER_LEN + 304, live_end),
        "any": (0, len(data)),
    }
    lo, hi = spans[region]
    for _ in range(flips):
        data[rng.randrange(lo, hi)] = rng.randrange(256)
    _assert_typed(_raw(bytes(data)))
