"""Meteora DLMM adapter: hypothesis properties of quotes, apply, codecs and decoders.

States come from `sample_state` (mainnet-shaped pairs) with hypothesis-drawn fee modes,
limit-order layers, Token-2022 transfer fees, clocks and amounts on top.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Callable
from fractions import Fraction
from typing import TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.domain.keys import TOKEN_2022_PROGRAM
from solarb_runtime.venues.base import (
    InsufficientLiquidity,
    OutOfSuppliedRange,
    Quote,
    QuoteError,
    VenueError,
)
from solarb_runtime.venues.meteora_dlmm import DlmmState, MeteoraDlmm
from solarb_runtime.venues.meteora_dlmm_layout import (
    BIN_ARRAY_HEADER_LEN,
    BIN_LEN,
    BINS_PER_ARRAY,
    CLOCK_SYSVAR,
    COLLECT_FEE_MODES,
    FUNCTION_TYPES,
    decode_bin_array,
    decode_clock,
    decode_lb_pair,
    encode_bin_array,
    encode_clock,
    encode_lb_pair,
)
from solarb_runtime.venues.meteora_dlmm_math import (
    price_from_id,
    support_limit_order,
    update_references,
)
from solarb_runtime.venues.meteora_dlmm_samples import (
    sample_request,
    sample_state,
    with_limit_orders,
)
from solarb_runtime.venues.token import EXT_TRANSFER_FEE_CONFIG, TransferFee
from tests.venues.test_meteora_dlmm import total_fee_rate

ONE = Fraction(1 << 64)
FEE_PRECISION = 10**9
QUICK = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

seeds = st.integers(0, 2**32 - 1)
T = TypeVar("T")


# -- strategies --------------------------------------------------------------------------


@st.composite
def states(draw: st.DrawFn, *, orders: bool = True, transfer_fees: bool = True) -> DlmmState:
    state = sample_state(random.Random(draw(seeds)))
    params = dataclasses.replace(
        state.pair.parameters,
        collect_fee_mode=draw(st.sampled_from(COLLECT_FEE_MODES)),
        function_type=draw(st.sampled_from(FUNCTION_TYPES)),
        protocol_share=draw(st.sampled_from((0, 500, 2000, 2500))),
    )
    reward = Pubkey.new_unique() if draw(st.booleans()) else Pubkey.default()
    pair = dataclasses.replace(
        state.pair, parameters=params, reward_mints=(Pubkey.default(), reward)
    )
    state = dataclasses.replace(state, pair=pair)
    if orders and draw(st.booleans()):
        state = with_limit_orders(state, random.Random(draw(seeds)))
    if transfer_fees and draw(st.booleans()):
        fee = TransferFee(
            epoch=0,
            maximum_fee=draw(st.integers(1, 10**12)),
            basis_points=draw(st.integers(1, 1000)),
        )
        mint = dataclasses.replace(
            state.mint_y,
            token_program=TOKEN_2022_PROGRAM,
            older_fee=fee,
            newer_fee=fee,
            extensions=frozenset({EXT_TRANSFER_FEE_CONFIG}),
        )
        pair = dataclasses.replace(state.pair, token_y_program_flag="token-2022")
        state = dataclasses.replace(state, mint_y=mint, pair=pair)
    elapsed = draw(st.sampled_from((0, 3, 29, 30, 100, 599, 600, 5000)))
    return dataclasses.replace(
        state, clock_unix_ts=state.pair.v_parameters.last_update_timestamp + elapsed
    )


@st.composite
def requests(draw: st.DrawFn, state: DlmmState) -> tuple[Pubkey, int]:
    """(mint_in, amount): a realistic 1-3 bin size scaled by 0.001x..3x, or a tiny one."""
    mint_in, amount, _ = sample_request(random.Random(draw(seeds)), state)
    if draw(st.integers(0, 9)) == 0:
        return mint_in, draw(st.integers(1, 5000))
    return mint_in, max(1, amount * draw(st.integers(1, 3000)) // 1000)


# -- helpers -------------------------------------------------------------------------------


def _quote(state: DlmmState, mint_in: Pubkey, amount: int, exact_in: bool) -> Quote | None:
    """The quote, or None when the venue refuses it with a typed QuoteError."""
    fn = MeteoraDlmm.quote_exact_in if exact_in else MeteoraDlmm.quote_exact_out
    try:
        return fn(state, mint_in, amount)
    except QuoteError:
        return None


def _bins(state: DlmmState) -> dict[int, tuple[int, int, int, int, int, int]]:
    """Every supplied bin: (amount_x, amount_y, price, open, processed, ask side)."""
    out = {}
    for array in state.bin_arrays:
        for bin_id in range(array.lower_bin_id, array.lower_bin_id + BINS_PER_ARRAY):
            b = array.bin(bin_id)
            price = b.price or price_from_id(bin_id, state.pair.bin_step)
            out[bin_id] = (
                b.amount_x,
                b.amount_y,
                price,
                b.open_order_amount,
                b.processed_order_remaining_amount,
                b.limit_order_ask_side,
            )
    return out


def _side_liquidity(state: DlmmState, swap_for_y: bool) -> int:
    """All the output token the supplied bins hold on the side a swap walks into.

    Bid-side limit orders (ask flag 0) hold Y, ask-side ones X; they count only when the
    pair lets swaps fill limit orders.
    """
    active = state.pair.active_id
    orders = support_limit_order(state.pair)
    total = 0
    for bin_id, (x, y, _, opened, processed, ask) in _bins(state).items():
        if (bin_id <= active) if swap_for_y else (bin_id >= active):
            total += y if swap_for_y else x
            if orders and (ask == 0) == swap_for_y:
                total += opened + processed
    return total


def _active_rate(state: DlmmState) -> int:
    """The fee rate of the active bin at the state's clock (1e-9 units)."""
    pair = state.pair
    p = pair.parameters
    v_ref, i_ref = update_references(p, pair.v_parameters, pair.active_id, state.clock_unix_ts)
    v_acc = min(v_ref + abs(i_ref - pair.active_id) * 10_000, p.max_volatility_accumulator)
    return total_fee_rate(p, pair.bin_step, v_acc)


# -- quotes ----------------------------------------------------------------------------------


@QUICK
@given(data=st.data())
def test_no_value_is_created(data: st.DataObject) -> None:
    state = data.draw(states())
    mint_in, amount = data.draw(requests(state))
    swap_for_y = mint_in == state.mint_a
    active_price = _bins(state)[state.pair.active_id][2]
    for exact_in in (True, False):
        quote = _quote(state, mint_in, amount, exact_in)
        if quote is None:
            continue
        assert quote.amount_out <= _side_liquidity(state, swap_for_y)
        # Bins further from the active one only get worse: the active price bounds the trade.
        value_in = quote.amount_in * (active_price / ONE if swap_for_y else ONE / active_price)
        assert quote.amount_out <= value_in
        assert quote.fee >= 0
        assert quote.steps >= 1


@QUICK
@given(data=st.data(), scale=st.integers(1001, 4000))
def test_monotone_in_amount(data: st.DataObject, scale: int) -> None:
    state = data.draw(states())
    mint_in, small = data.draw(requests(state))
    large = small * scale // 1000
    for exact_in in (True, False):
        a = _quote(state, mint_in, small, exact_in)
        b = _quote(state, mint_in, large, exact_in)
        if a is None or b is None:
            continue  # past the supplied liquidity, or nothing left after a transfer fee
        if exact_in:
            assert a.amount_out <= b.amount_out
        else:
            assert a.amount_in <= b.amount_in
    # One atom more never pays out less, nor costs less (the rounding edges).
    c = _quote(state, mint_in, small + 1, True)
    d = _quote(state, mint_in, small, True)
    if c is not None and d is not None:
        assert d.amount_out <= c.amount_out


@QUICK
@given(data=st.data())
def test_exact_out_and_exact_in_agree(data: st.DataObject) -> None:
    state = data.draw(states())
    mint_in, amount = data.draw(requests(state))
    forward = _quote(state, mint_in, amount, True)
    if forward is not None and forward.amount_out > 0:
        # Buying what `amount` bought never costs more than `amount`.
        back = _quote(state, mint_in, forward.amount_out, False)
        assert back is not None
        assert back.amount_in <= amount
    wanted = _quote(state, mint_in, amount, False)
    if wanted is not None:
        # Paying what `amount` out costs buys at least `amount`.
        paid = _quote(state, mint_in, wanted.amount_in, True)
        assert paid is not None
        assert paid.amount_out >= amount


@QUICK
@given(data=st.data(), share=st.integers(1, 999))
def test_rounding_never_favours_the_trader(data: st.DataObject, share: int) -> None:
    """Inside the active bin's market-maker layer, against exact rational arithmetic.

    With fee rate r = f/1e9 and the bin's price P (Y per X, Q64.64) an input x is worth
    out* = x(1-r)·P (fee on input) or x·P·(1-r) (fee on output): the quote must never
    beat out*, and the program's roundings (fee up by one atom of input, amounts down
    by one atom) bound how far below it lands; the same for the input of an exact-out.
    """
    state = data.draw(states(orders=False, transfer_fees=False))
    swap_for_y = data.draw(st.booleans())
    x, y, price_q64, _, _, _ = _bins(state)[state.pair.active_id]
    price = Fraction(price_q64) / ONE
    conv = price if swap_for_y else 1 / price  # pool input units -> output units
    liquidity = y if swap_for_y else x
    if liquidity < 4:
        swap_for_y = not swap_for_y
        conv = 1 / conv
        liquidity = x if swap_for_y else y
    assert liquidity >= 4, "sample_state puts both tokens in the active bin"
    r = Fraction(_active_rate(state), FEE_PRECISION)
    mint_in = state.mint_a if swap_for_y else state.mint_b
    # Exact out: a part of the active bin's liquidity.
    out = max(1, liquidity * share // 2000)
    quote = MeteoraDlmm.quote_exact_out(state, mint_in, out)
    cost = out / conv / (1 - r)
    assert quote.amount_in >= cost
    assert quote.amount_in < cost + 3 + 1 / conv
    # Exact in: an input that buys at most half of the bin.
    amount = max(1, int(liquidity * share // 2000 / conv))
    quote = MeteoraDlmm.quote_exact_in(state, mint_in, amount)
    worth = amount * (1 - r) * conv
    assert quote.amount_out <= worth
    assert quote.amount_out > worth - 2 - conv


# -- apply -----------------------------------------------------------------------------------


@QUICK
@given(data=st.data())
def test_apply_moves_exactly_the_quoted_amounts(data: st.DataObject) -> None:
    state = data.draw(states(orders=False, transfer_fees=False))
    mint_in, amount = data.draw(requests(state))
    exact_in = data.draw(st.booleans())
    quote = _quote(state, mint_in, amount, exact_in)
    if quote is None:
        return
    after = MeteoraDlmm.apply(state, quote)
    swap_for_y = mint_in == state.mint_a
    before_bins, after_bins = _bins(state), _bins(after)
    d_in = sum(
        (a[0] - b[0]) if swap_for_y else (a[1] - b[1])
        for a, b in zip(after_bins.values(), before_bins.values(), strict=True)
    )
    d_out = sum(
        (b[1] - a[1]) if swap_for_y else (b[0] - a[0])
        for a, b in zip(after_bins.values(), before_bins.values(), strict=True)
    )
    fee_on_output = state.pair.parameters.collect_fee_mode == "only-y" and swap_for_y
    protocol = (after.pair.protocol_fee_x + after.pair.protocol_fee_y) - (
        state.pair.protocol_fee_x + state.pair.protocol_fee_y
    )
    # An exact-out fill may give a rounding surplus beyond the amount asked (booked as
    # protocol fee); an exact-in one gives exactly what the quote says.
    if fee_on_output:
        # The bins give what the trader gets plus the fee, charged in the output token.
        assert d_in == quote.amount_in
        expected_out = quote.amount_out + quote.fee
    else:
        # The bins keep the input less the fee; the trader gets all they give.
        assert d_in == quote.amount_in - quote.fee
        expected_out = quote.amount_out
    assert d_out >= expected_out
    if exact_in:
        assert d_out == expected_out
    assert 0 <= protocol <= quote.fee + (d_out - quote.amount_out)
    # The walk ends where the quote ended, and the applied state still round-trips.
    primary, deps = MeteoraDlmm.encode(after)
    assert MeteoraDlmm.state(primary, deps) == after


@QUICK
@given(data=st.data(), cut=st.integers(1, 999))
def test_split_swap_never_beats_one_swap(data: st.DataObject, cut: int) -> None:
    """Swapping x then y on the applied state yields at most what x+y yields at once: at
    the same clock the second swap keeps the first's volatility reference, so fees per bin
    are the same and the split only adds rounding against the trader. Re-quoting x on the
    applied state gets no more than x got."""
    state = data.draw(states(orders=False, transfer_fees=False))
    mint_in, amount = data.draw(requests(state))
    first_part = max(1, amount * cut // 1000)
    whole = _quote(state, mint_in, amount, True)
    first = _quote(state, mint_in, first_part, True)
    if whole is None or first is None or first_part >= amount:
        return
    after = MeteoraDlmm.apply(state, first)
    second = _quote(after, mint_in, amount - first_part, True)
    assert second is not None
    assert first.amount_out + second.amount_out <= whole.amount_out
    # The same trade again meets the liquidity the first one left: never a better price.
    # It may find too little of it: the first trade moved the price toward the end of the
    # supplied bin arrays.
    try:
        again = MeteoraDlmm.quote_exact_in(after, mint_in, first_part)
    except (InsufficientLiquidity, OutOfSuppliedRange):
        return
    assert again.amount_out <= first.amount_out


# -- codecs ----------------------------------------------------------------------------------


@st.composite
def codec_states(draw: st.DrawFn) -> DlmmState:
    """States with every modelled field drawn across its range."""
    state = draw(states())
    u64 = st.integers(0, 2**64 - 1)
    v = dataclasses.replace(
        state.pair.v_parameters,
        volatility_accumulator=draw(st.integers(0, 2**32 - 1)),
        volatility_reference=draw(st.integers(0, 2**32 - 1)),
        index_reference=draw(st.integers(-(2**31), 2**31 - 1)),
        last_update_timestamp=draw(st.integers(-(2**63), 2**63 - 1)),
    )
    pair = dataclasses.replace(
        state.pair,
        v_parameters=v,
        protocol_fee_x=draw(u64),
        protocol_fee_y=draw(u64),
        activation_point=draw(u64),
        pair_type=draw(
            st.sampled_from(("permissionless", "permission", "customizable-permissionless"))
        ),
        status=draw(st.sampled_from(("enabled", "disabled"))),
        activation_type=draw(st.sampled_from(("slot", "timestamp"))),
        bin_array_bitmap=state.pair.bin_array_bitmap | draw(st.integers(0, 2**1024 - 1)),
    )
    arrays = list(state.bin_arrays)
    k = draw(st.integers(0, len(arrays) - 1))
    raw = bytearray(arrays[k].bins)
    pos = draw(st.integers(0, BINS_PER_ARRAY - 1)) * BIN_LEN
    raw[pos : pos + BIN_LEN] = draw(st.binary(min_size=BIN_LEN, max_size=BIN_LEN))
    arrays[k] = dataclasses.replace(arrays[k], bins=bytes(raw))
    return dataclasses.replace(
        state,
        pair=pair,
        bin_arrays=tuple(arrays),
        slot=draw(u64),
        epoch=draw(u64),
        clock_unix_ts=draw(st.integers(-(2**63), 2**63 - 1)),
    )


@QUICK
@given(state=codec_states())
def test_encode_decode_and_json_round_trips(state: DlmmState) -> None:
    primary, deps = MeteoraDlmm.encode(state)
    assert MeteoraDlmm.state(primary, deps) == state
    doc = json.loads(json.dumps(MeteoraDlmm.state_to_json(state)))
    assert MeteoraDlmm.state_from_json(doc) == state
    assert json.loads(json.dumps(MeteoraDlmm.state_to_json(MeteoraDlmm.state_from_json(doc)))) == (
        doc
    )


# -- decoder fuzz ----------------------------------------------------------------------------

_FUZZ = settings(max_examples=200, deadline=None)
_SAMPLE = sample_state(random.Random(17))
_PRIMARY, _DEPS = MeteoraDlmm.encode(_SAMPLE)
_ARRAY_RAW = _DEPS[_SAMPLE.bin_arrays[1].address]
_CLOCK_RAW = _DEPS[CLOCK_SYSVAR]


@st.composite
def mutated(draw: st.DrawFn, raw: RawAccount) -> RawAccount:
    """`raw` with random bytes: overwritten anywhere, truncated/extended, or all random."""
    kind = draw(st.integers(0, 4))
    data = bytearray(raw.data)
    if kind == 0:
        data = bytearray(draw(st.binary(min_size=0, max_size=len(data) + 16)))
    elif kind == 1:
        data = bytearray(draw(st.binary(min_size=len(data), max_size=len(data))))
        data[:8] = raw.data[:8]  # past the discriminator check, into the field checks
    else:
        edits = draw(
            st.lists(
                st.tuples(st.integers(0, len(data) - 1), st.integers(0, 255)),
                min_size=1,
                max_size=12,
            )
        )
        for pos, value in edits:
            data[pos] = value
        if kind == 4:
            data = data[: draw(st.integers(0, len(data) + 8))] + bytes(draw(st.integers(0, 8)))
    return RawAccount(raw.pubkey, raw.owner, bytes(data), slot=raw.slot)


def _decodes_or_refuses(
    decode: Callable[[RawAccount], T], encode: Callable[[T], bytes], raw: RawAccount
) -> T | None:
    """Decode `raw`: a typed VenueError, or a value whose encoding decodes to it again."""
    try:
        value = decode(raw)
    except VenueError:
        return None
    again = decode(RawAccount(raw.pubkey, raw.owner, encode(value), slot=raw.slot))
    assert again == value
    return value


@_FUZZ
@given(raw=mutated(_PRIMARY))
def test_lb_pair_decoder_fuzz(raw: RawAccount) -> None:
    pair = _decodes_or_refuses(decode_lb_pair, encode_lb_pair, raw)
    if pair is not None:
        # Fields sit at fixed offsets (after the 8-byte discriminator, 32 + 32 bytes of
        # static and variable parameters, then bump, seed, pair type, active id, bin step).
        assert pair.active_id == int.from_bytes(raw.data[76:80], "little", signed=True)
        assert pair.bin_step == int.from_bytes(raw.data[80:82], "little")
        assert bytes(pair.token_x_mint) == raw.data[88:120]


@_FUZZ
@given(raw=mutated(_ARRAY_RAW))
def test_bin_array_decoder_fuzz(raw: RawAccount) -> None:
    array = _decodes_or_refuses(decode_bin_array, encode_bin_array, raw)
    if array is not None:
        assert array.bins == raw.data[BIN_ARRAY_HEADER_LEN:]
        assert array.index == int.from_bytes(raw.data[8:16], "little", signed=True)


@_FUZZ
@given(raw=mutated(_CLOCK_RAW))
def test_clock_decoder_fuzz(raw: RawAccount) -> None:
    clock = _decodes_or_refuses(decode_clock, encode_clock, raw)
    if clock is not None:
        assert clock.unix_timestamp == int.from_bytes(raw.data[32:40], "little", signed=True)


@_FUZZ
@given(data=st.data())
def test_state_fuzz_then_quote_is_typed(data: st.DataObject) -> None:
    """Mutated pair or dependency bytes: a typed error, or a state that quotes or refuses."""
    deps = dict(_DEPS)
    primary = _PRIMARY
    target = data.draw(st.sampled_from(["pair", *map(str, deps)]))
    if target == "pair":
        primary = data.draw(mutated(_PRIMARY))
    else:
        key = Pubkey.from_string(target)
        deps[key] = data.draw(mutated(deps[key]))
    try:
        state = MeteoraDlmm.state(primary, deps)
    except VenueError:
        return
    amount = data.draw(st.integers(1, 2**64 - 1))
    for mint_in in (state.mint_a, state.mint_b):
        for exact_in in (True, False):
            _quote(state, mint_in, amount, exact_in)  # a Quote or a typed QuoteError
    again_primary, again_deps = MeteoraDlmm.encode(state)
    assert MeteoraDlmm.state(again_primary, again_deps) == state
