"""Orca Whirlpool venue: hand-derived golden vectors, properties, decoder fuzz, instruction."""

from __future__ import annotations

import random
import struct
from dataclasses import replace
from fractions import Fraction
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.domain.amounts import U64_MAX
from solarb_runtime.domain.keys import SPL_TOKEN_PROGRAM, TOKEN_2022_PROGRAM
from solarb_runtime.venues.base import (
    AmountOutOfRange,
    DecodeError,
    InsufficientLiquidity,
    OutOfSuppliedRange,
    QuoteError,
    UnsupportedPool,
    VenueError,
)
from solarb_runtime.venues.orca_whirlpool import (
    SWAP_V2_DISCRIMINATOR,
    VENUE,
    OrcaWhirlpoolVenue,
    WhirlpoolState,
)
from solarb_runtime.venues.orca_whirlpool_layout import (
    _NOT_SUPPLIED,
    FIXED_TICK_ARRAY_DISCRIMINATOR,
    MEMO_PROGRAM,
    WHIRLPOOL_DISCRIMINATOR,
    WHIRLPOOL_PROGRAM,
    ZERO_TICK,
    Hop,
    RewardInfo,
    Tick,
    TickArray,
    _hop,
    decode_tick_array,
    encode_tick_array,
    oracle_address,
    path_walk,
    swap_start_indexes,
    tick_array_address,
)
from solarb_runtime.venues.orca_whirlpool_math import (
    FEE_RATE_MUL_VALUE,
    MAX_SQRT_PRICE_X64,
    MAX_TICK_INDEX,
    MIN_SQRT_PRICE_X64,
    MIN_TICK_INDEX,
    TICK_ARRAY_SIZE,
    WhirlpoolMathError,
    amount_delta_a,
    amount_delta_b,
    next_sqrt_price_from_a_round_up,
    next_sqrt_price_from_b_round_down,
    sqrt_price_from_tick_index,
    step_in,
    step_out,
    tick_index_from_sqrt_price,
    tick_index_from_sqrt_price_reference,
    try_amount_delta_a,
    try_amount_delta_b,
)
from solarb_runtime.venues.orca_whirlpool_samples import sample_request, sample_state
from solarb_runtime.venues.token import MintInfo, TransferFee

Q64 = 1 << 64
POOL = Pubkey.from_bytes(bytes([7]) * 32)
MINT_A = Pubkey.from_bytes(bytes([1]) * 32)
MINT_B = Pubkey.from_bytes(bytes([2]) * 32)
EMPTY_REWARD = RewardInfo(Pubkey.default(), Pubkey.default(), bytes(32), 0, 0)


def make_state(
    *,
    liquidity: int = 10**12,
    sqrt_price: int = Q64,
    spacing: int = 64,
    fee_rate: int = 3000,
    protocol_fee_rate: int = 0,
    nets: dict[int, int] | None = None,
    fee_b: TransferFee | None = None,
) -> WhirlpoolState:
    """A pool at `sqrt_price` with the given initialised ticks in its six arrays."""
    tick = tick_index_from_sqrt_price(sqrt_price)
    starts = sorted(
        set(swap_start_indexes(tick, spacing, True)) | set(swap_start_indexes(tick, spacing, False))
    )
    arrays = []
    for start in starts:
        ticks = [ZERO_TICK] * 88
        for t, net in (nets or {}).items():
            if start <= t < start + 88 * spacing:
                ticks[(t - start) // spacing] = Tick(True, net, abs(net), 5, 6, (0, 0, 0))
        arrays.append(
            TickArray(tick_array_address(POOL, start), start, POOL, "fixed", tuple(ticks))
        )
    info_b = MintInfo(MINT_B, SPL_TOKEN_PROGRAM, 6, 10**15)
    if fee_b is not None:
        info_b = MintInfo(MINT_B, TOKEN_2022_PROGRAM, 6, 10**15, fee_b, fee_b, frozenset({1}))
    return WhirlpoolState(
        venue="orca-whirlpool", address=POOL, mint_a=MINT_A, mint_b=MINT_B,
        decimals_a=9, decimals_b=6, slot=300_000_000,
        whirlpools_config=Pubkey.from_bytes(bytes([3]) * 32), whirlpool_bump=255,
        tick_spacing=spacing, fee_tier_index=spacing, fee_rate=fee_rate,
        protocol_fee_rate=protocol_fee_rate, liquidity=liquidity, sqrt_price=sqrt_price,
        tick_current_index=tick, protocol_fee_owed_a=0, protocol_fee_owed_b=0,
        token_vault_a=Pubkey.from_bytes(bytes([4]) * 32),
        token_vault_b=Pubkey.from_bytes(bytes([5]) * 32),
        fee_growth_global_a=0, fee_growth_global_b=0, reward_last_updated_timestamp=0,
        reward_infos=(EMPTY_REWARD,) * 3, tick_arrays=tuple(arrays),
        mint_info_a=MintInfo(MINT_A, SPL_TOKEN_PROGRAM, 9, 10**15), mint_info_b=info_b,
    )  # fmt: skip


# --- golden vectors (derived by hand from the program's rules) -------------------------------


def test_tick_price_anchors() -> None:
    # Tick 0: the even-tick seed 2^96 with no factor applied, >> 32 → exactly 1.0 in Q64.64.
    assert sqrt_price_from_tick_index(0) == Q64
    # The program's MIN/MAX sqrt prices are defined as the prices of its MIN/MAX ticks.
    assert sqrt_price_from_tick_index(MIN_TICK_INDEX) == MIN_SQRT_PRICE_X64
    assert sqrt_price_from_tick_index(MAX_TICK_INDEX) == MAX_SQRT_PRICE_X64
    # Tick 1 is √1.0001·2^64 = 18447666387855959850.9…, and the program rounds down.
    assert sqrt_price_from_tick_index(1) == 18_447_666_387_855_959_850
    # A price exactly on a tick maps to it; one below maps to the tick before.
    assert tick_index_from_sqrt_price(Q64) == 0
    assert tick_index_from_sqrt_price(Q64 - 1) == -1
    assert tick_index_from_sqrt_price(MIN_SQRT_PRICE_X64) == MIN_TICK_INDEX


def test_amount_deltas_round_as_the_program() -> None:
    # L = 2^64 from price 1.0 to 1.5: Δb = L·Δp / 2^64 = 2^63 exactly (no rounding).
    p0, p1 = Q64, Q64 + Q64 // 2
    assert amount_delta_b(p0, p1, Q64, True) == amount_delta_b(p1, p0, Q64, False) == 1 << 63
    # Δa = L·Δp·2^64 / (p0·p1) = 2^63 / 1.5 = 6148914691236517205.33…: floor / ceil.
    assert amount_delta_a(p0, p1, Q64, False) == 6_148_914_691_236_517_205
    assert amount_delta_a(p0, p1, Q64, True) == 6_148_914_691_236_517_206
    # Over u64 is "exceeds max" (None) for the try_ form the swap step probes with:
    # 2^64·(~2^96)·2^64 / (~2^32·~2^96) ≈ 2^96 atoms.
    assert try_amount_delta_a(MIN_SQRT_PRICE_X64, MAX_SQRT_PRICE_X64, Q64, True) is None
    # But L·Δp ≥ 2^192 cannot even be shifted: the program's hard MultiplicationOverflow.
    with pytest.raises(WhirlpoolMathError, match="MultiplicationOverflow"):
        try_amount_delta_a(MIN_SQRT_PRICE_X64, MAX_SQRT_PRICE_X64, 1 << 100, True)


# The program's general swap step: the reference for the inlined `step_in` / `step_out`.


def next_sqrt_price(
    sqrt_price: int, liquidity: int, amount: int, is_input: bool, a_to_b: bool
) -> int:
    if is_input == a_to_b:
        return next_sqrt_price_from_a_round_up(sqrt_price, liquidity, amount, is_input)
    return next_sqrt_price_from_b_round_down(sqrt_price, liquidity, amount, is_input)


def compute_swap_step(
    amount_remaining: int,
    fee_rate: int,
    liquidity: int,
    price_current: int,
    price_target: int,
    *,
    is_input: bool,
    a_to_b: bool,
) -> tuple[int, int, int, int]:
    """The program's `compute_swap`: (amount in, amount out, next price, fee amount).

    The "fixed" token is the one the caller specified (input for exact-in); it is rounded in
    the pool's favour (up for input, down for output), the other token the opposite way.
    """
    fixed_is_a = a_to_b == is_input
    if fixed_is_a:
        initial = try_amount_delta_a(price_current, price_target, liquidity, is_input)
    else:
        initial = try_amount_delta_b(price_current, price_target, liquidity, is_input)
    amount_calc = (
        amount_remaining * (FEE_RATE_MUL_VALUE - fee_rate) // FEE_RATE_MUL_VALUE
        if is_input
        else amount_remaining
    )
    if initial is not None and initial <= amount_calc:
        price_next = price_target
    else:
        price_next = next_sqrt_price(price_current, liquidity, amount_calc, is_input, a_to_b)
    is_max_swap = price_next == price_target
    if fixed_is_a:
        unfixed = amount_delta_b(price_current, price_next, liquidity, not is_input)
    else:
        unfixed = amount_delta_a(price_current, price_next, liquidity, not is_input)
    if is_max_swap and initial is not None:
        fixed = initial
    elif fixed_is_a:
        fixed = amount_delta_a(price_current, price_next, liquidity, is_input)
    else:
        fixed = amount_delta_b(price_current, price_next, liquidity, is_input)
    if is_input:
        amount_in, amount_out = fixed, unfixed
    else:
        amount_in, amount_out = unfixed, min(fixed, amount_remaining)
    if is_input and not is_max_swap:
        fee_amount = amount_remaining - amount_in
        if fee_amount < 0:
            raise WhirlpoolMathError("AmountRemainingOverflow")
    else:
        fee_amount = -(-(amount_in * fee_rate) // (FEE_RATE_MUL_VALUE - fee_rate))
        if fee_amount > U64_MAX:
            raise WhirlpoolMathError("NumberDownCastError")
    return amount_in, amount_out, price_next, fee_amount


def test_exact_in_small_swap_golden() -> None:
    # b→a, L = 1e12, price 1.0, fee 0.3 %, 1000 b in. amount_calc = 1000·997000//1e6 = 997;
    # Δp = floor(997·2^64/1e12); b in = ceil(L·Δp/2^64) = 997 (L·Δp falls just short of
    # 997·2^64); a out = floor(L·Δp·2^64/(p·(p+Δp))) = 996 (997/(1+~1e-9) < 997);
    # fee = remaining − in = 3 (not a max swap).
    state = make_state()
    step = compute_swap_step(
        1000, 3000, 10**12, Q64, MAX_SQRT_PRICE_X64, is_input=True, a_to_b=False
    )
    delta = 997 * Q64 // 10**12
    assert step == (997, 996, Q64 + delta, 3)
    quote = VENUE.quote_exact_in(state, MINT_B, 1000)
    assert (quote.amount_in, quote.amount_out, quote.fee, quote.steps) == (1000, 996, 3, 0)


def test_exact_out_small_swap_golden() -> None:
    # Buy 996 a with b: p' = ceil(L·p·2^64/(L·2^64 − p·996)); b in = ceil(L·(p'−p)/2^64) =
    # ceil(996·L/(L−996)) = 997; fee = ceil(997·3000/997000) = 3 exactly; total 1000.
    quote = VENUE.quote_exact_out(make_state(), MINT_B, 996)
    assert (quote.amount_in, quote.amount_out, quote.fee) == (1000, 996, 3)


def test_one_atom_buys_nothing_and_is_refused() -> None:
    # 1·997000//1e6 = 0 tradable after fee: the program would take 1 atom as fee for 0 out.
    with pytest.raises(InsufficientLiquidity, match="buy nothing"):
        VENUE.quote_exact_in(make_state(), MINT_B, 1)


def test_protocol_fee_and_fee_growth_after_apply() -> None:
    # 10^6 a in at 0.3 %: fee = 3000 (exact, max swap not reached); protocol 13 % → 390;
    # LP share 2610 grows fee_growth_global_a by (2610 << 64) // L.
    state = make_state(protocol_fee_rate=1300)
    quote = VENUE.quote_exact_in(state, MINT_A, 10**6)
    assert quote.fee == 3000
    after = VENUE.apply(state, quote)
    assert after.protocol_fee_owed_a == 390
    assert after.fee_growth_global_a == (2610 << 64) // 10**12
    assert after.sqrt_price < state.sqrt_price
    assert after.tick_current_index == tick_index_from_sqrt_price(after.sqrt_price)


def test_crossing_applies_liquidity_net_in_swap_direction() -> None:
    # Price 1.0, a tick at +64 whose liquidity_net is −L/2: moving up (b→a) past it halves L.
    # Expected: segment 1 to P(64) at L, then the rest at L/2, each by the program's rules.
    L, fee = 10**12, 3000
    state = make_state(liquidity=L, nets={64: -(L // 2)})
    p64 = sqrt_price_from_tick_index(64)
    in1 = amount_delta_b(Q64, p64, L, True)
    fee1 = -(-(in1 * fee) // (10**6 - fee))
    out1 = amount_delta_a(Q64, p64, L, False)
    amount = in1 + fee1 + 10_000
    rest = amount - in1 - fee1
    # No further initialised tick: the target is the last tick of the third array (16895).
    target = sqrt_price_from_tick_index(2 * 88 * 64 + 88 * 64 - 1)
    step = compute_swap_step(rest, fee, L // 2, p64, target, is_input=True, a_to_b=False)
    quote = VENUE.quote_exact_in(state, MINT_B, amount)
    assert quote.steps == 1
    assert quote.amount_out == out1 + step[1]
    after = VENUE.apply(state, quote)
    assert after.liquidity == L // 2
    # Crossing flips the outside growths against the globals at that moment (wrapping u128):
    # a: 0 − 5; b: the segment-1 fee's growth (fee1 << 64) // L, minus 6.
    crossed = after.arrays_by_start[0].ticks[1]
    assert crossed.fee_growth_outside_a == (0 - 5) % (1 << 128)
    assert crossed.fee_growth_outside_b == ((fee1 << 64) // L - 6) % (1 << 128)


# --- properties ---------------------------------------------------------------------------


def _step_result(fn: object, *args: int) -> tuple[int, ...] | str:
    try:
        return fn(*args)  # type: ignore[operator,no-any-return]
    except WhirlpoolMathError as exc:
        return exc.code


_WIDE = st.one_of(
    st.integers(min_value=0, max_value=2**64 - 1),
    st.integers(min_value=0, max_value=2**128 - 1),
    st.integers(min_value=0, max_value=2**20),
)
_PRICES = st.one_of(
    st.integers(min_value=MIN_SQRT_PRICE_X64, max_value=MAX_SQRT_PRICE_X64),
    st.integers(min_value=2**62, max_value=2**66),
)


@settings(max_examples=400, deadline=None)
@given(_WIDE, st.integers(min_value=0, max_value=60_000), _WIDE, _PRICES, _PRICES)
def test_inlined_steps_equal_the_general_step(
    remaining: int, fee_rate: int, liquidity: int, p0: int, p1: int
) -> None:
    """Same amounts, price and fee, or the same program error, on any input."""
    remaining &= U64_MAX
    high, low = max(p0, p1), min(p0, p1)
    for a_to_b, is_input, price, target, fast in (
        (True, True, high, low, step_in),
        (False, True, low, high, step_in),
        (True, False, high, low, partial(step_out, a_to_b=True)),
        (False, False, low, high, partial(step_out, a_to_b=False)),
    ):
        general = _step_result(
            lambda *a, d=a_to_b, i=is_input: compute_swap_step(*a, is_input=i, a_to_b=d),
            remaining,
            fee_rate,
            liquidity,
            price,
            target,
        )
        assert _step_result(fast, remaining, fee_rate, liquidity, price, target) == general


SEEDS = st.integers(min_value=0, max_value=2**32)


def _state_and_request(seed: int) -> tuple[WhirlpoolState, Pubkey, int, bool]:
    rng = random.Random(seed)
    state = sample_state(rng)
    return (state, *sample_request(rng, state))


def _exact_in(state: WhirlpoolState, mint: Pubkey, amount: int) -> int | None:
    try:
        return VENUE.quote_exact_in(state, mint, amount).amount_out
    except (InsufficientLiquidity, OutOfSuppliedRange, AmountOutOfRange):
        return None


@settings(max_examples=60, deadline=None)
@given(SEEDS)
def test_no_value_created_at_better_than_the_pool_price(seed: int) -> None:
    state, mint, amount, _ = _state_and_request(seed)
    try:
        quote = VENUE.quote_exact_in(state, mint, amount)
    except (InsufficientLiquidity, OutOfSuppliedRange, AmountOutOfRange):
        return
    price = Fraction(state.sqrt_price**2, 1 << 128)  # b atoms per a atom, before the swap
    # The marginal price only worsens along the swap, so out ≤ in at the starting price.
    if mint == state.mint_a:
        assert quote.amount_out <= quote.amount_in * price
    else:
        assert quote.amount_out <= quote.amount_in / price
    assert quote.amount_in <= amount


@settings(max_examples=60, deadline=None)
@given(SEEDS, st.integers(min_value=1, max_value=10**6))
def test_exact_in_is_monotone_in_amount(seed: int, extra: int) -> None:
    state, mint, amount, _ = _state_and_request(seed)
    small, large = _exact_in(state, mint, amount), _exact_in(state, mint, amount + extra)
    if small is not None and large is not None:
        assert large >= small


@settings(max_examples=60, deadline=None)
@given(SEEDS)
def test_round_trips_never_favour_the_trader(seed: int) -> None:
    state, mint, amount, _ = _state_and_request(seed)
    try:
        forward = VENUE.quote_exact_in(state, mint, amount)
        back = VENUE.quote_exact_out(state, mint, forward.amount_out)
    except (InsufficientLiquidity, OutOfSuppliedRange, AmountOutOfRange):
        return
    # Buying what x bought never costs more than x ...
    assert back.amount_in <= forward.amount_in
    # ... and paying what exact-out asks buys at least what it promised.
    again = VENUE.quote_exact_in(state, mint, back.amount_in)
    assert again.amount_out >= back.amount_out == forward.amount_out


@settings(max_examples=40, deadline=None)
@given(SEEDS)
def test_encode_decode_and_json_round_trip(seed: int) -> None:
    state, _, _, _ = _state_and_request(seed)
    primary, deps = VENUE.encode(state)
    assert set(VENUE.dependencies(primary)) >= set(deps)
    assert VENUE.state(primary, deps) == state
    doc = VENUE.state_to_json(state)
    assert VENUE.state_from_json(doc) == state
    # Integers may also arrive as decimal strings.
    doc_str = {k: str(v) if type(v) is int else v for k, v in doc.items()}
    assert VENUE.state_from_json(doc_str) == state


@settings(max_examples=30, deadline=None)
@given(SEEDS)
def test_apply_leaves_the_state_a_fresh_quote_expects(seed: int) -> None:
    state, mint, amount, exact_in = _state_and_request(seed)
    try:
        quote = (VENUE.quote_exact_in if exact_in else VENUE.quote_exact_out)(state, mint, amount)
    except (InsufficientLiquidity, OutOfSuppliedRange, AmountOutOfRange):
        return
    after = VENUE.apply(state, quote)
    # The price moved against the trader; the decoded account bytes agree with the state.
    if mint == state.mint_a:
        assert after.sqrt_price < state.sqrt_price
    else:
        assert after.sqrt_price > state.sqrt_price
    primary, deps = VENUE.encode(after)
    decoded = VENUE.state(primary, deps)
    # Decoding keeps only the arrays of the new tick's window (the program's view).
    assert set(decoded.tick_arrays) <= set(after.tick_arrays)
    assert replace(after, tick_arrays=decoded.tick_arrays) == decoded
    with pytest.raises(QuoteError):
        VENUE.apply(after, quote._replace(amount_out=quote.amount_out + 1))


def test_tick_conversion_matches_the_program_estimator_near_tick_boundaries() -> None:
    rng = random.Random(11)
    for _ in range(3000):
        tick = rng.randint(MIN_TICK_INDEX, MAX_TICK_INDEX)
        price = sqrt_price_from_tick_index(tick)
        for p in (price - 1, price, price + 1, price + rng.randrange(1, 1 << 40)):
            if MIN_SQRT_PRICE_X64 <= p <= MAX_SQRT_PRICE_X64:
                assert tick_index_from_sqrt_price(p) == tick_index_from_sqrt_price_reference(p)


# --- refusals and bad input ---------------------------------------------------------------


def test_refusals_are_typed() -> None:
    state = make_state()
    with pytest.raises(AmountOutOfRange):
        VENUE.quote_exact_in(state, MINT_A, 0)
    with pytest.raises(AmountOutOfRange):
        VENUE.quote_exact_in(state, MINT_A, 1 << 64)
    with pytest.raises(QuoteError):
        VENUE.quote_exact_in(state, POOL, 10)
    # More than the three supplied arrays can hold: the program runs out of tick arrays.
    with pytest.raises(OutOfSuppliedRange):
        VENUE.quote_exact_in(state, MINT_B, 10**17)
    # Exact-out more than the pool can give before the price limit: a partial fill.
    edge = make_state(sqrt_price=sqrt_price_from_tick_index(MIN_TICK_INDEX + 5), spacing=128)
    with pytest.raises(InsufficientLiquidity):
        VENUE.quote_exact_out(edge, MINT_A, 10**18)


def _raw(state: WhirlpoolState) -> tuple[RawAccount, dict[Pubkey, RawAccount]]:
    return VENUE.encode(state)


def _sampled_accounts(seed: int) -> tuple[RawAccount, dict[Pubkey, RawAccount]]:
    return _raw(sample_state(random.Random(seed)))


def _draw_account(
    data: st.DataObject, primary: RawAccount, deps: dict[Pubkey, RawAccount]
) -> RawAccount:
    """One of a pool's accounts, drawn by hypothesis (to corrupt)."""
    target = data.draw(st.sampled_from([primary.pubkey, *deps]))
    return primary if target == primary.pubkey else deps[target]


def _swapped(
    primary: RawAccount, deps: dict[Pubkey, RawAccount], mutated: RawAccount
) -> tuple[RawAccount, dict[Pubkey, RawAccount]]:
    """The pool's accounts with `mutated` in place of the one at its address."""
    if mutated.pubkey == primary.pubkey:
        return mutated, deps
    return primary, {**deps, mutated.pubkey: mutated}


def test_adaptive_fee_and_hook_pools_are_refused() -> None:
    state = make_state()
    primary, deps = _raw(replace(state, fee_tier_index=1024))
    with pytest.raises(UnsupportedPool, match="adaptive"):
        VENUE.state(primary, deps)
    primary, deps = _raw(state)
    deps[oracle_address(POOL)] = RawAccount(oracle_address(POOL), WHIRLPOOL_PROGRAM, b"\x01" * 64)
    with pytest.raises(UnsupportedPool, match="Oracle"):
        VENUE.state(primary, deps)
    primary, deps = _raw(state)
    del deps[MINT_B]
    with pytest.raises(DecodeError, match="not supplied"):
        VENUE.state(primary, deps)


def test_missing_and_uninitialised_tick_arrays() -> None:
    state = make_state()
    primary, deps = _raw(state)
    current = tick_array_address(POOL, 0)
    # Not supplied at all: no quote around the current tick.
    without = {k: v for k, v in deps.items() if k != current}
    with pytest.raises(OutOfSuppliedRange):
        VENUE.quote_exact_in(VENUE.state(primary, without), MINT_A, 1000)
    # Supplied but never created: the program reads zero ticks; the quote is unchanged.
    empty = dict(deps)
    empty[current] = RawAccount(
        current, Pubkey.from_string("11111111111111111111111111111111"), b""
    )
    assert VENUE.quote_exact_in(VENUE.state(primary, empty), MINT_A, 1000) == VENUE.quote_exact_in(
        state, MINT_A, 1000
    )


def test_dynamic_tick_array_decodes_like_the_fixed_one() -> None:
    state = make_state(nets={64: -(10**11), -128: 10**11})
    dynamic = replace(
        state, tick_arrays=tuple(replace(a, kind="dynamic") for a in state.tick_arrays)
    )
    primary, deps = _raw(dynamic)
    decoded = VENUE.state(primary, deps)
    assert decoded == dynamic
    # Uninitialised ticks take one byte each: 60 header + 87·1 + 113 for tick 64.
    assert len(deps[tick_array_address(POOL, 0)].data) == 60 + 87 + 113
    for mint in (MINT_A, MINT_B):
        assert VENUE.quote_exact_in(decoded, mint, 10**10) == VENUE.quote_exact_in(
            state, mint, 10**10
        )


@settings(max_examples=150, deadline=None)
@given(SEEDS, st.data())
def test_decoders_fuzz_typed_error_or_valid_state(seed: int, data: st.DataObject) -> None:
    primary, deps = _sampled_accounts(seed)
    raw = _draw_account(data, primary, deps)
    blob = bytearray(raw.data)
    mode = data.draw(st.sampled_from(["flip", "truncate", "extend", "random", "owner"]))
    if mode == "flip" and blob:
        for _ in range(data.draw(st.integers(1, 8))):
            i = data.draw(st.integers(0, len(blob) - 1))
            blob[i] = data.draw(st.integers(0, 255))
    elif mode == "truncate":
        blob = blob[: data.draw(st.integers(0, max(0, len(blob) - 1)))]
    elif mode == "extend":
        blob += bytes(data.draw(st.integers(1, 64)))
    elif mode == "random":
        blob = bytearray(data.draw(st.binary(max_size=700)))
    owner = Pubkey.from_bytes(bytes([9]) * 32) if mode == "owner" else raw.owner
    primary, deps = _swapped(primary, deps, replace(raw, data=bytes(blob), owner=owner))
    try:
        decoded = VENUE.state(primary, deps)
    except VenueError:
        return
    # Accepted bytes decode to a state that encodes back to a state equal to itself.
    again = VENUE.state(*_raw(decoded))
    assert again == decoded


def test_decode_errors_name_the_account_and_reason() -> None:
    primary, deps = _raw(make_state())
    bad = replace(primary, data=b"\x00" * 8 + primary.data[8:])
    with pytest.raises(DecodeError, match=f"Whirlpool {POOL}: account discriminator") as info:
        VENUE.state(bad, deps)
    assert info.value.account == str(POOL)
    key = tick_array_address(POOL, 0)
    deps[key] = replace(deps[key], data=deps[key].data[:100])
    with pytest.raises(DecodeError, match=str(key)):
        VENUE.state(primary, deps)
    assert deps[key].data[:8] == FIXED_TICK_ARRAY_DISCRIMINATOR
    assert primary.data[:8] == WHIRLPOOL_DISCRIMINATOR


def test_json_errors_name_the_field() -> None:
    doc = VENUE.state_to_json(make_state())
    with pytest.raises(DecodeError, match="field sqrt_price"):
        VENUE.state_from_json({**doc, "sqrt_price": "12x"})
    with pytest.raises(DecodeError, match="field mint_a"):
        VENUE.state_from_json({**doc, "mint_a": "not-a-key"})


def test_mid_price_and_transfer_fees() -> None:
    state = make_state(sqrt_price=2 * Q64)
    assert VENUE.mid_price(state) == 4
    # 1 % transfer fee on b: exact-in b nets 99 % into the pool; exact-out b grosses up.
    fee = TransferFee(epoch=0, maximum_fee=10**12, basis_points=100)
    taxed = make_state(fee_b=fee)
    quote = VENUE.quote_exact_in(taxed, MINT_B, 100_000)
    plain = VENUE.quote_exact_in(make_state(), MINT_B, 100_000 - fee.fee(100_000))
    assert (quote.amount_in, quote.amount_out) == (100_000, plain.amount_out)
    out = VENUE.quote_exact_out(taxed, MINT_A, 99_000)  # receive 99,000 b
    gross = 99_000 + fee.inverse_fee(99_000)
    assert out.amount_out == 99_000
    assert out.amount_in == VENUE.quote_exact_out(make_state(), MINT_A, gross).amount_in


# --- instruction --------------------------------------------------------------------------


def test_swap_v2_instruction_layout() -> None:
    state = make_state()
    owner, src, dst = (Pubkey.from_bytes(bytes([b]) * 32) for b in (20, 21, 22))
    ix = VENUE.swap_instruction(
        state, owner=owner, mint_in=MINT_B, amount=1000, other_amount_threshold=990,
        exact_in=True, source=src, destination=dst,
    )  # fmt: skip
    assert ix.program_id == WHIRLPOOL_PROGRAM
    # sha256("global:swap_v2")[:8], amount u64, threshold u64, sqrt_price_limit u128 = 0
    # (the program's MIN/MAX), amount_specified_is_input, a_to_b, remaining_accounts_info None.
    assert bytes.fromhex("2b04ed0b1ac91e62") == SWAP_V2_DISCRIMINATOR
    assert bytes(ix.data) == SWAP_V2_DISCRIMINATOR + struct.pack(
        "<QQ16s??B", 1000, 990, bytes(16), True, False, 0
    )
    b_to_a = [tick_array_address(POOL, s) for s in (0, 5632, 11264)]
    expected = [
        (SPL_TOKEN_PROGRAM, False, False), (SPL_TOKEN_PROGRAM, False, False),
        (MEMO_PROGRAM, False, False), (owner, True, False), (POOL, False, True),
        (MINT_A, False, False), (MINT_B, False, False), (dst, False, True),
        (state.token_vault_a, False, True), (src, False, True), (state.token_vault_b, False, True),
        *((a, False, True) for a in b_to_a), (oracle_address(POOL), False, True),
    ]  # fmt: skip
    assert [(m.pubkey, m.is_signer, m.is_writable) for m in ix.accounts] == expected
    with pytest.raises(AmountOutOfRange):
        VENUE.swap_instruction(
            state, owner=owner, mint_in=MINT_A, amount=1 << 64, other_amount_threshold=0,
            exact_in=False, source=src, destination=dst,
        )  # fmt: skip


def test_tick_array_pdas_follow_the_program_seeds() -> None:
    seeds = [b"tick_array", bytes(POOL), b"-5632"]
    assert (
        tick_array_address(POOL, -5632) == Pubkey.find_program_address(seeds, WHIRLPOOL_PROGRAM)[0]
    )
    primary, _ = _raw(make_state())
    deps = VENUE.dependencies(primary)
    assert deps[:2] == (MINT_A, MINT_B)
    starts = (-11264, -5632, 0, 5632, 11264)
    assert deps[2:-1] == tuple(tick_array_address(POOL, s) for s in starts)


# --- decode caches --------------------------------------------------------------------------


def _changed_tick_array(
    state: WhirlpoolState, rng: random.Random
) -> tuple[Pubkey, RawAccount, TickArray]:
    """One of the state's arrays with one tick's liquidity and fee growth changed."""
    array = rng.choice([a for a in state.tick_arrays if a.kind != "absent"])
    offset = rng.randrange(TICK_ARRAY_SIZE)
    ticks = list(array.ticks)
    ticks[offset] = replace(
        ticks[offset],
        initialized=True,
        liquidity_gross=ticks[offset].liquidity_gross + 5,
        fee_growth_outside_a=rng.getrandbits(100),
    )
    changed = replace(array, ticks=tuple(ticks))
    return array.address, encode_tick_array(changed), changed


@settings(max_examples=40, deadline=None)
@given(SEEDS)
def test_redecode_reflects_a_changed_dependency(seed: int) -> None:
    """A venue that has decoded the pool before returns the new ticks, not cached ones."""
    rng = random.Random(seed)
    state = sample_state(rng)
    venue = OrcaWhirlpoolVenue()
    primary, deps = _raw(state)
    assert venue.state(primary, deps) == state
    key, raw, changed = _changed_tick_array(state, rng)
    deps[key] = raw
    after = venue.state(primary, deps)
    assert after.arrays_by_start[changed.start_tick_index] == changed
    assert after == OrcaWhirlpoolVenue().state(primary, deps)  # same as a fresh decode
    # And back: the first version's bytes decode to the first state again.
    assert venue.state(*_raw(state)) == state


@settings(max_examples=60, deadline=None)
@given(SEEDS, st.data())
def test_corrupt_update_after_a_good_one_still_raises(seed: int, data: st.DataObject) -> None:
    """A bad new version of a cached account fails exactly as it does on a cold venue."""
    primary, deps = _sampled_accounts(seed)
    warm = OrcaWhirlpoolVenue()
    warm.state(primary, deps)
    raw = _draw_account(data, primary, deps)
    blob = bytearray(raw.data)
    if not blob:
        return  # an absent array has no bytes to corrupt
    for _ in range(data.draw(st.integers(1, 6))):
        blob[data.draw(st.integers(0, len(blob) - 1))] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        blob = blob[: data.draw(st.integers(0, len(blob)))]
    primary, deps = _swapped(primary, deps, replace(raw, data=bytes(blob)))

    def outcome(venue: OrcaWhirlpoolVenue) -> WhirlpoolState | str:
        try:
            return venue.state(primary, deps)
        except VenueError as exc:
            return f"{type(exc).__name__}: {exc}"

    assert outcome(warm) == outcome(OrcaWhirlpoolVenue())


def test_corrupt_tick_after_a_good_version_raises_the_same_error() -> None:
    state = sample_state(random.Random(5))
    while not any(a.kind == "fixed" for a in state.tick_arrays):
        state = sample_state(random.Random(state.slot))
    primary, deps = _raw(state)
    venue = OrcaWhirlpoolVenue()
    venue.state(primary, deps)
    array = next(a for a in state.tick_arrays if a.kind == "fixed")
    blob = bytearray(deps[array.address].data)
    blob[12 + 113 * 40] = 7  # tick 40's `initialized` flag is not a bool
    deps[array.address] = replace(deps[array.address], data=bytes(blob))
    with pytest.raises(DecodeError, match="tick flag byte 7 is not a bool"):
        venue.state(primary, deps)
    with pytest.raises(DecodeError, match="tick flag byte 7 is not a bool"):
        venue.state(primary, deps)  # not cached as good either


def test_same_bytes_under_another_key_are_not_a_cache_hit() -> None:
    state = sample_state(random.Random(8))
    primary, deps = _raw(state)
    venue = OrcaWhirlpoolVenue()
    venue.state(primary, deps)
    mint_a = deps[state.mint_a]
    # The mint's bytes supplied under the other mint's key must still be refused.
    deps[state.mint_b] = replace(mint_a, pubkey=state.mint_b)
    decoded = venue.state(primary, deps)
    assert decoded.mint_info_b.address == state.mint_b


@settings(max_examples=60, deadline=None)
@given(SEEDS, st.data())
def test_fixed_array_diff_decode_equals_a_full_decode(seed: int, data: st.DataObject) -> None:
    rng = random.Random(seed)
    state = sample_state(rng)
    arrays = [a for a in state.tick_arrays if a.kind == "fixed"]
    if not arrays:
        return
    raw = encode_tick_array(arrays[0])
    before = (raw.data, decode_tick_array(raw))
    blob = bytearray(raw.data)
    for _ in range(data.draw(st.integers(1, 6))):
        blob[data.draw(st.integers(0, len(blob) - 1))] = data.draw(st.sampled_from([0, 1, 2, 255]))
    new = replace(raw, data=bytes(blob))

    def outcome(previous: tuple[bytes, TickArray] | None) -> object:
        try:
            array = decode_tick_array(new, previous)
        except DecodeError as exc:
            return str(exc)
        return (array, array.initialized_offsets)

    assert outcome(before) == outcome(None)


# --- the swap path ----------------------------------------------------------------------------


# The program's per-hop search: the reference for `path_walk`'s single pass.


class _PastSupplied(Exception):
    """The walk needs an array that was not supplied (the reason becomes the quote error)."""


def _next_initialized(
    arrays: tuple[TickArray, ...], tick: int, spacing: int, a_to_b: bool, index: int
) -> tuple[int, int]:
    """`SwapTickSequence::get_next_initialized_tick_index`: (array index, tick index)."""
    span = TICK_ARRAY_SIZE * spacing
    while True:
        if index >= len(arrays):
            raise _PastSupplied("the swap runs past the supplied tick arrays")
        array = arrays[index]
        start = array.start_tick_index
        lower, upper = (
            (start, start + span) if a_to_b else (start - spacing, start + span - spacing)
        )
        if not lower <= tick < upper:
            raise _PastSupplied(f"tick {tick} is not in the array at {start}")
        offset = (tick - start) // spacing
        found = None
        if a_to_b:
            for o in reversed(array.initialized_offsets):
                if o <= offset:
                    found = o
                    break
        else:
            for o in array.initialized_offsets:
                if o > offset:
                    found = o
                    break
        if found is not None:
            return index, start + found * spacing
        if a_to_b and start <= MIN_TICK_INDEX:
            return index, MIN_TICK_INDEX
        if not a_to_b and start + span > MAX_TICK_INDEX:
            return index, MAX_TICK_INDEX
        if index + 1 == len(arrays):
            return index, (start if a_to_b else start + span - 1)
        tick = start - 1 if a_to_b else start + span - 1
        index += 1


def path_hops_reference(state: WhirlpoolState, a_to_b: bool) -> tuple[tuple[Hop, ...], str]:
    """The hops and end reason by calling the program's search once per hop (the tests'
    reference for `path_walk`, which gets the same answers in one pass over the arrays)."""
    arrays = state.sequence_a_to_b if a_to_b else state.sequence_b_to_a
    spacing = state.tick_spacing
    limit = MIN_SQRT_PRICE_X64 if a_to_b else MAX_SQRT_PRICE_X64
    hops: list[Hop] = []
    end = _NOT_SUPPLIED
    tick = state.tick_current_index
    index = 0
    while arrays:
        try:
            index, next_tick = _next_initialized(arrays, tick, spacing, a_to_b, index)
        except _PastSupplied as exc:
            end = str(exc)
            break
        array = arrays[index]
        hop = _hop(array, next_tick, spacing, a_to_b, limit)
        hops.append(hop)
        tick_offset = (next_tick - array.start_tick_index) // spacing
        if (a_to_b and tick_offset == 0) or (not a_to_b and tick_offset == TICK_ARRAY_SIZE - 1):
            index += 1  # the next search starts in the next array
        tick = hop[5]
        if hop[0] == limit:
            break  # reaching it ends the loop
    return tuple(hops), end


def _state_near_a_bound(rng: random.Random) -> WhirlpoolState:
    """A pool whose current tick is within a few arrays of MIN or MAX, random ticks."""
    state = sample_state(rng)
    spacing = state.tick_spacing
    edge = rng.choice([MIN_TICK_INDEX, MAX_TICK_INDEX])
    tick = edge + rng.randint(-3 * TICK_ARRAY_SIZE * spacing, 3 * TICK_ARRAY_SIZE * spacing)
    tick = max(MIN_TICK_INDEX - 1, min(MAX_TICK_INDEX, tick))
    price = sqrt_price_from_tick_index(max(MIN_TICK_INDEX, tick))
    starts = set(swap_start_indexes(tick, spacing, True))
    starts |= set(swap_start_indexes(tick, spacing, False))
    arrays = []
    for start in sorted(starts):
        ticks = [
            Tick(True, rng.randint(-(10**9), 10**9), 1) if rng.random() < 0.1 else ZERO_TICK
            for _ in range(TICK_ARRAY_SIZE)
        ]
        if rng.random() < 0.8:
            key = tick_array_address(state.address, start)
            arrays.append(TickArray(key, start, state.address, "fixed", tuple(ticks)))
    return replace(state, tick_current_index=tick, sqrt_price=price, tick_arrays=tuple(arrays))


@settings(max_examples=150, deadline=None)
@given(SEEDS)
def test_swap_path_walk_matches_the_program_search(seed: int) -> None:
    """One pass over the arrays stops where the program's per-step search does."""
    rng = random.Random(seed)
    kind = rng.randrange(3)
    if kind == 0:
        state = _state_near_a_bound(rng)
    else:
        state = sample_state(rng)
        if kind == 1:  # some arrays missing, or a tick the arrays do not hold
            kept = tuple(a for a in state.tick_arrays if rng.random() < 0.7)
            state = replace(state, tick_arrays=kept)
        else:
            shift = rng.randint(-200, 200)
            state = replace(state, tick_current_index=state.tick_current_index + shift)
    for a_to_b in (True, False):
        assert path_walk(state, a_to_b) == path_hops_reference(state, a_to_b)


def test_bound_ticks_are_the_price_bounds() -> None:
    """Why a stop at MIN/MAX_TICK_INDEX ends the walk: its price is the swap's limit."""
    assert sqrt_price_from_tick_index(MIN_TICK_INDEX) == MIN_SQRT_PRICE_X64
    assert sqrt_price_from_tick_index(MAX_TICK_INDEX) == MAX_SQRT_PRICE_X64
