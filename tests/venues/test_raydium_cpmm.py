"""Raydium CPMM venue: layouts, hand-derived golden quotes, properties, fuzzing, instruction."""

from __future__ import annotations

import contextlib
import hashlib
import random
import struct
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction

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
    Quote,
    QuoteError,
    UnsupportedPool,
    VenueError,
)
from solarb_runtime.venues.raydium_cpmm import RAYDIUM_CPMM, CpmmState, RaydiumCpmmVenue
from solarb_runtime.venues.raydium_cpmm_layout import (
    CONFIG_LEN,
    CPMM_AUTHORITY,
    CPMM_PROGRAM,
    POOL_LEN,
    STATUS_SWAP_DISABLED,
    BytesMemo,
    CreatorFeeOn,
    decode_config,
    decode_pool,
)
from solarb_runtime.venues.raydium_cpmm_math import SWAP_INPUT, fill_exact_in, fill_exact_out
from solarb_runtime.venues.raydium_cpmm_samples import sample_request, sample_state
from solarb_runtime.venues.token import EXT_TRANSFER_HOOK, MINT_LEN, TransferFee, encode_mint
from tests.venues.test_raydium_cpmm_curve import random_state

V = RAYDIUM_CPMM
ONE = 1_000_000


def _state(
    *,
    reserves: tuple[int, int] = (ONE, ONE),
    trade: int = 2_500,
    creator: int = 0,
    protocol: int = 120_000,
    fund: int = 40_000,
    mode: CreatorFeeOn = CreatorFeeOn.BOTH_TOKEN,
    status: int = 0,
    accrued: int = 0,
    fees: tuple[TransferFee | None, TransferFee | None] = (None, None),
) -> CpmmState:
    """A sampled pool with exactly the given economics (accrued fees per counter)."""
    base = sample_state(random.Random(11))
    fee_a, fee_b = fees
    pool = replace(
        base.pool,
        status=status,
        creator_fee_on=mode,
        enable_creator_fee=creator > 0,
        protocol_fees_token_0=accrued,
        protocol_fees_token_1=accrued,
        fund_fees_token_0=accrued,
        fund_fees_token_1=accrued,
        creator_fees_token_0=accrued,
        creator_fees_token_1=accrued,
        token_0_program=TOKEN_2022_PROGRAM if fee_a else SPL_TOKEN_PROGRAM,
        token_1_program=TOKEN_2022_PROGRAM if fee_b else SPL_TOKEN_PROGRAM,
    )
    config = replace(
        base.config,
        trade_fee_rate=trade,
        creator_fee_rate=creator,
        protocol_fee_rate=protocol,
        fund_fee_rate=fund,
    )
    return replace(
        base,
        pool=pool,
        config=config,
        vault_amount_a=reserves[0] + 3 * accrued,
        vault_amount_b=reserves[1] + 3 * accrued,
        transfer_fees_a=(fee_a, fee_a) if fee_a else None,
        transfer_fees_b=(fee_b, fee_b) if fee_b else None,
    )


# ---- layouts --------------------------------------------------------------------------------


def test_account_sizes_follow_the_program_structs() -> None:
    # PoolState::LEN = 8 + 10*32 + 1*5 + 8*7 + 1*2 + 6*1 + 2*8 + 8*28
    assert POOL_LEN == 8 + 10 * 32 + 5 + 8 * 7 + 2 + 6 + 2 * 8 + 8 * 28
    # AmmConfig::LEN = 8 + 1 + 1 + 2 + 4*8 + 32*2 + 8 + 8*15
    assert CONFIG_LEN == 8 + 1 + 1 + 2 + 4 * 8 + 32 * 2 + 8 + 8 * 15


def test_pool_decodes_from_hand_placed_fields() -> None:
    keys = [Pubkey.from_bytes(bytes([i + 1]) * 32) for i in range(10)]
    data = bytearray(POOL_LEN)
    data[:8] = hashlib.sha256(b"account:PoolState").digest()[:8]
    for i, key in enumerate(keys):
        data[8 + 32 * i : 40 + 32 * i] = bytes(key)
    data[328:333] = bytes([254, 4, 9, 6, 9])  # auth_bump, status, lp/mint0/mint1 decimals
    struct.pack_into("<7Q", data, 333, 10, 11, 12, 13, 14, 15, 16)
    data[389], data[390] = 2, 1  # creator_fee_on = OnlyToken1, enable_creator_fee
    struct.pack_into("<2Q", data, 397, 17, 18)
    pool = decode_pool(RawAccount(keys[0], CPMM_PROGRAM, bytes(data)))
    assert (pool.amm_config, pool.token_0_vault, pool.token_1_mint) == (keys[0], keys[2], keys[6])
    assert pool.observation_key == keys[9]
    assert (pool.auth_bump, pool.status, pool.mint_0_decimals, pool.mint_1_decimals) == (
        254,
        4,
        6,
        9,
    )
    assert not pool.swap_enabled
    assert (pool.lp_supply, pool.protocol_fees_token_0, pool.fund_fees_token_1) == (10, 11, 14)
    assert (pool.open_time, pool.recent_epoch) == (15, 16)
    assert pool.creator_fee_on is CreatorFeeOn.ONLY_TOKEN_1
    assert pool.enable_creator_fee
    assert (pool.creator_fees_token_0, pool.creator_fees_token_1) == (17, 18)


def test_config_decodes_from_hand_placed_fields() -> None:
    data = bytearray(CONFIG_LEN)
    data[:8] = hashlib.sha256(b"account:AmmConfig").digest()[:8]
    struct.pack_into("<BBH4Q", data, 8, 250, 1, 3, 2_500, 120_000, 40_000, 150_000_000)
    data[44:76] = bytes([5]) * 32
    data[76:108] = bytes([6]) * 32
    struct.pack_into("<Q", data, 108, 500)
    config = decode_config(RawAccount(Pubkey.default(), CPMM_PROGRAM, bytes(data)))
    assert (config.bump, config.disable_create_pool, config.index) == (250, True, 3)
    assert (config.trade_fee_rate, config.protocol_fee_rate, config.fund_fee_rate) == (
        2_500,
        120_000,
        40_000,
    )
    assert config.create_pool_fee == 150_000_000
    assert config.fund_owner == Pubkey.from_bytes(bytes([6]) * 32)
    assert config.creator_fee_rate == 500


# ---- golden quotes (derived by hand from the program's rules) ------------------------------


def test_exact_in_plain() -> None:
    # trade fee = ceil(1e6 * 2500 / 1e6) = 2500; 997500 enters the curve.
    # out = floor(997500 * 2e9 / (1e9 + 997500)) = floor(1.995e15 / 1000997500) = 1993011:
    #   1000997500 * 1993011 = 1_994_999_028_472_500 <= 1.995e15 and
    #   1000997500 * 1993012 = 1_995_000_029_470_000 >  1.995e15.
    # protocol = floor(2500 * 0.12) = 300, fund = floor(2500 * 0.04) = 100.
    state = _state(reserves=(10**9, 2 * 10**9))
    quote = V.quote_exact_in(state, state.mint_a, ONE)
    assert (quote.amount_in, quote.amount_out, quote.fee) == (ONE, 1_993_011, 2_500)
    after = V.apply(state, quote)
    assert after.pool.protocol_fees_token_0 == 300
    assert after.pool.fund_fees_token_0 == 100
    # The whole input reaches the vault; protocol/fund fees are carved out of the reserve.
    assert after.vault_amount_a == 10**9 + ONE
    assert after.reserve_a == 10**9 + ONE - 400
    assert after.vault_amount_b == 2 * 10**9 - 1_993_011


def test_exact_in_one_atom_buys_nothing() -> None:
    # trade fee = ceil(1 * 2500 / 1e6) = 1 eats the only atom: the program's
    # require_gt!(amount_received, 0) fails.
    state = _state()
    with pytest.raises(AmountOutOfRange):
        V.quote_exact_in(state, state.mint_a, 1)


def test_creator_fee_on_input_is_one_ceil_then_a_floor_split() -> None:
    # total = ceil(1000 * (2500 + 500) / 1e6) = ceil(3.0) = 3; creator = floor(3 * 500 / 3000)
    # = 0; trade = 3; out = floor(997 * 1e6 / 1000997) = 996.
    state = _state(creator=500)
    quote = V.quote_exact_in(state, state.mint_a, 1_000)
    assert (quote.amount_out, quote.fee) == (996, 3)
    # 1001 atoms: total = ceil(3.003) = 4; creator = floor(4 * 500 / 3000) = 0 (0.67).
    # 1500 atoms: total = ceil(4.5) = 5; creator = floor(5/6) = 0. 2000: total 6, creator 1.
    after = V.apply(state, V.quote_exact_in(state, state.mint_a, 2_000))
    assert after.pool.creator_fees_token_0 == 1
    assert after.pool.protocol_fees_token_0 == 0  # floor(5 * 0.12) = 0


def test_creator_fee_on_output_side() -> None:
    # OnlyToken1 with token 0 in: creator fee on the output. trade = ceil(2.5) = 3,
    # 997 in, swapped = 996, creator = ceil(996 * 500 / 1e6) = ceil(0.498) = 1, out 995.
    state = _state(creator=500, mode=CreatorFeeOn.ONLY_TOKEN_1)
    quote = V.quote_exact_in(state, state.mint_a, 1_000)
    assert (quote.amount_out, quote.fee) == (995, 3)
    after = V.apply(state, quote)
    assert after.pool.creator_fees_token_1 == 1
    assert after.vault_amount_b == ONE - 995
    # Token 1 in with OnlyToken1: the fee is on the input again (996 out as above).
    assert V.quote_exact_in(state, state.mint_b, 1_000).amount_out == 996


def test_disabled_creator_fee_charges_nothing() -> None:
    state = _state(creator=500)
    state = replace(state, pool=replace(state.pool, enable_creator_fee=False))
    # trade 3 only: out = floor(997e6 / 1000997) = 996, same as with a zero creator rate.
    assert V.quote_exact_in(state, state.mint_a, 1_001).fee == 3


def test_exact_out_rounds_up_twice() -> None:
    # swapped = ceil(1e6 * 1000 / (1e6 - 1000)) = ceil(1001.001) = 1002;
    # with fee = ceil(1002 * 1e6 / 997500) = ceil(1004.51) = 1005; trade fee 3.
    state = _state()
    quote = V.quote_exact_out(state, state.mint_a, 1_000)
    assert (quote.amount_in, quote.amount_out, quote.fee) == (1_005, 1_000, 3)


def test_exact_out_creator_fee_on_output_grosses_up_first() -> None:
    # leaving = ceil(1000 * 1e6 / (1e6 - 500)) = ceil(1000.50) = 1001 (creator fee 1);
    # swapped = ceil(1e6 * 1001 / 998999) = ceil(1002.003) = 1003;
    # with fee = ceil(1003e6 / 997500) = ceil(1005.51) = 1006.
    state = _state(creator=500, mode=CreatorFeeOn.ONLY_TOKEN_1)
    quote = V.quote_exact_out(state, state.mint_a, 1_000)
    assert quote.amount_in == 1_006
    after = V.apply(state, quote)
    assert after.pool.creator_fees_token_1 == 1
    assert after.vault_amount_b == ONE - 1_000


def test_exact_out_cannot_empty_the_reserve() -> None:
    state = _state(reserves=(ONE, 5_000))
    with pytest.raises(InsufficientLiquidity):
        V.quote_exact_out(state, state.mint_a, 5_000)
    # 4999 of 5000: swapped = ceil(1e6 * 4999 / 1) = 4_999_000_000, then the fee.
    assert V.quote_exact_out(state, state.mint_a, 4_999).amount_in == -(
        -4_999_000_000 * ONE // 997_500
    )


def test_reserves_exclude_accrued_fees() -> None:
    # Vaults hold 1e6 + 3 * 7000 each; the curve must see 1e6 (out 996 as above).
    state = _state(accrued=7_000)
    assert (state.reserve_a, state.reserve_b) == (ONE, ONE)
    assert V.quote_exact_in(state, state.mint_a, 1_000).amount_out == 996
    assert V.mid_price(state) == Fraction(1)


def test_token_2022_fees_on_both_legs() -> None:
    # In: fee = ceil(10000 * 100 / 10000) = 100, 9900 arrives; trade = ceil(24.75) = 25;
    # swapped = floor(9875 * 1e9 / (1e9 + 9875)) = 9874; out fee = ceil(98.74) = 99 -> 9775.
    one_pct = TransferFee(epoch=0, maximum_fee=10**12, basis_points=100)
    state = _state(reserves=(10**9, 10**9), fees=(one_pct, one_pct))
    assert V.quote_exact_in(state, state.mint_a, 10_000).amount_out == 9_775


def test_token_2022_exact_out_adds_inverse_fees() -> None:
    # Out 9900: pre = ceil(9900 * 1e4 / 9900) = 10000, fee 100 -> 10000 leaves the vault.
    # swapped = ceil(1e9 * 1e4 / (1e9 - 1e4)) = 10001; with fee ceil(10001e6/997500)= 10027;
    # input fee: pre = ceil(10027e4 / 9900) = 10129, fee = ceil(101.29) = 102 -> 10129.
    one_pct = TransferFee(epoch=0, maximum_fee=10**12, basis_points=100)
    state = _state(reserves=(10**9, 10**9), fees=(one_pct, one_pct))
    quote = V.quote_exact_out(state, state.mint_a, 9_900)
    assert quote.amount_in == 10_129


def test_full_transfer_fee_charges_the_maximum() -> None:
    # 100 % transfer fee: the program adds exactly maximum_fee (7) on the output.
    full = TransferFee(epoch=0, maximum_fee=7, basis_points=10_000)
    state = _state(fees=(None, full))
    plain = _state()
    leaving_plain = V.quote_exact_out(plain, plain.mint_a, 1_007).amount_in
    assert V.quote_exact_out(state, state.mint_a, 1_000).amount_in == leaving_plain


def test_swap_disabled_and_open_time() -> None:
    disabled = _state(status=4)
    with pytest.raises(QuoteError) as info:
        V.quote_exact_in(disabled, disabled.mint_a, ONE)
    assert not isinstance(info.value, InsufficientLiquidity)
    deposit_off = _state(status=3)  # deposit and withdraw off, swaps still allowed
    assert V.quote_exact_in(deposit_off, deposit_off.mint_a, 1_000).amount_out == 996
    opens = deposit_off.pool.open_time
    with pytest.raises(QuoteError):
        V.quote_exact_in(deposit_off, deposit_off.mint_a, 1_000, now=opens - 1)
    assert V.quote_exact_in(deposit_off, deposit_off.mint_a, 1_000, now=opens).amount_out == 996


def test_zero_combined_fee_with_fee_on_input_is_refused() -> None:
    # split_creator_fee divides by trade + creator rate = 0: the program fails the swap.
    state = _state(trade=0)
    with pytest.raises(QuoteError):
        V.quote_exact_in(state, state.mint_a, 1_000)
    on_output = _state(trade=0, mode=CreatorFeeOn.ONLY_TOKEN_1)
    # Fee-free: floor(1000 * 1e6 / 1001000) = 999.
    assert V.quote_exact_in(on_output, on_output.mint_a, 1_000).amount_out == 999


def test_bad_amounts_and_mints() -> None:
    state = _state()
    for amount in (0, -1, 1 << 64):
        with pytest.raises(AmountOutOfRange):
            V.quote_exact_in(state, state.mint_a, amount)
        with pytest.raises(AmountOutOfRange):
            V.quote_exact_out(state, state.mint_a, amount)
    with pytest.raises(QuoteError):
        V.quote_exact_in(state, Pubkey.default(), 1_000)


def test_empty_or_overdrawn_pool_is_insufficient_liquidity() -> None:
    empty = _state(reserves=(0, ONE))
    with pytest.raises(InsufficientLiquidity):
        V.quote_exact_in(empty, empty.mint_b, 1_000)
    with pytest.raises(InsufficientLiquidity):
        V.mid_price(empty)
    overdrawn = replace(_state(accrued=10), vault_amount_a=5)
    with pytest.raises(InsufficientLiquidity):
        V.quote_exact_in(overdrawn, overdrawn.mint_a, 1_000)


# ---- properties -----------------------------------------------------------------------------

seeds = st.integers(min_value=0, max_value=2**32)


@settings(max_examples=150, deadline=None)
@given(seed=seeds, share=st.floats(min_value=1e-7, max_value=0.5), a_in=st.booleans())
def test_exact_in_properties(seed: int, share: float, a_in: bool) -> None:
    state = sample_state(random.Random(seed))
    mint_in = state.mint_a if a_in else state.mint_b
    reserve_in, reserve_out = (
        (state.reserve_a, state.reserve_b) if a_in else (state.reserve_b, state.reserve_a)
    )
    amount = max(1, int(reserve_in * share))
    try:
        quote = V.quote_exact_in(state, mint_in, amount)
    except AmountOutOfRange:
        return  # too small to buy an atom
    # No value created: out below the reserve and below the fee-free spot value.
    assert 0 < quote.amount_out < reserve_out
    assert quote.amount_out * reserve_in <= amount * reserve_out
    # Monotone in the amount.
    assert V.quote_exact_in(state, mint_in, amount + 1 + amount // 7).amount_out >= quote.amount_out
    # Round trip: asking for that output never costs more than the input.
    assert V.quote_exact_out(state, mint_in, quote.amount_out).amount_in <= amount
    # The program's constant-product check: k over the reserves never falls.
    after = V.apply(state, quote)
    assert after.reserve_a * after.reserve_b >= state.reserve_a * state.reserve_b


@settings(max_examples=150, deadline=None)
@given(seed=seeds, share=st.floats(min_value=1e-7, max_value=0.5), a_in=st.booleans())
def test_exact_out_properties(seed: int, share: float, a_in: bool) -> None:
    state = sample_state(random.Random(seed))
    mint_in = state.mint_a if a_in else state.mint_b
    reserve_out = state.reserve_b if a_in else state.reserve_a
    amount = max(1, int(reserve_out * share))
    quote = V.quote_exact_out(state, mint_in, amount)
    # Rounding never favours the trader: paying the quoted input buys at least `amount`.
    assert V.quote_exact_in(state, mint_in, quote.amount_in).amount_out >= amount
    # And one atom less does not (the quote is the minimum), unless fees are flat there.
    if quote.amount_in > 1:
        try:
            less = V.quote_exact_in(state, mint_in, quote.amount_in - 1).amount_out
        except AmountOutOfRange:
            less = 0
        assert less <= amount
    # Monotone: more out costs at least as much.
    bigger = amount + 1 + amount // 11
    if bigger < reserve_out // 2:
        assert V.quote_exact_out(state, mint_in, bigger).amount_in >= quote.amount_in
    after = V.apply(state, quote)
    assert after.reserve_a * after.reserve_b >= state.reserve_a * state.reserve_b


@settings(max_examples=60, deadline=None)
@given(seed=seeds)
def test_encode_decode_and_json_round_trip(seed: int) -> None:
    rng = random.Random(seed)
    state = sample_state(rng)
    primary, deps = V.encode(state)
    assert set(V.dependencies(primary)) == set(deps)
    assert V.state(primary, deps) == state
    doc = V.state_to_json(state)
    assert V.state_from_json(doc) == state
    # Integers may come as decimal strings.
    doc["vault_amount_a"] = str(state.vault_amount_a)
    assert V.state_from_json(doc) == state
    # After a swap the state still round-trips.
    mint_in, amount, exact_in = sample_request(rng, state)
    quote = (V.quote_exact_in if exact_in else V.quote_exact_out)(state, mint_in, amount)
    after = V.apply(state, quote)
    assert V.state(*V.encode(after)) == after
    assert V.state_from_json(V.state_to_json(after)) == after


def test_apply_refuses_a_quote_from_another_state() -> None:
    state = _state()
    quote = V.quote_exact_in(state, state.mint_a, 1_000)
    with pytest.raises(QuoteError):
        V.apply(_state(reserves=(2 * ONE, ONE)), quote)


def test_json_errors_name_the_field() -> None:
    doc = V.state_to_json(_state())
    pool = dict(doc["pool"])  # type: ignore[call-overload]
    pool["creator_fee_on"] = "sometimes"
    with pytest.raises(DecodeError, match=r"pool\.creator_fee_on"):
        V.state_from_json({**doc, "pool": pool})
    with pytest.raises(DecodeError, match="vault_amount_b"):
        V.state_from_json({**doc, "vault_amount_b": 1 << 64})
    with pytest.raises(DecodeError, match="mint_a"):
        V.state_from_json({**doc, "mint_a": "not-a-key"})


# ---- decoder errors and fuzz ----------------------------------------------------------------


def test_decoder_rejections_name_account_and_reason() -> None:
    state = _state()
    primary, deps = V.encode(state)
    with pytest.raises(DecodeError, match="owner"):
        V.state(replace(primary, owner=SPL_TOKEN_PROGRAM), deps)
    with pytest.raises(DecodeError, match="discriminator"):
        V.state(replace(primary, data=bytes(8) + primary.data[8:]), deps)
    with pytest.raises(DecodeError, match="bytes"):
        V.state(replace(primary, data=primary.data[:400]), deps)
    missing = dict(deps)
    del missing[state.pool.amm_config]
    with pytest.raises(DecodeError, match="not supplied"):
        V.state(primary, missing)
    swapped = dict(deps)
    swapped[state.pool.token_0_vault] = replace(
        deps[state.pool.token_1_vault], pubkey=state.pool.token_0_vault
    )
    with pytest.raises(DecodeError, match=str(state.pool.token_0_vault)):
        V.state(primary, swapped)


def test_transfer_hook_mint_is_unsupported() -> None:
    state = _state(fees=(TransferFee(0, 10, 10), None))
    primary, deps = V.encode(state)
    mint = encode_mint(state.decimals_a, token_2022_fee=state.transfer_fees_a)
    hook = struct.pack("<HH", EXT_TRANSFER_HOOK, 64) + bytes(64)
    deps[state.mint_a] = replace(deps[state.mint_a], data=mint + hook)
    with pytest.raises(UnsupportedPool, match="transfer hook"):
        V.state(primary, deps)
    assert len(mint) > MINT_LEN


def test_out_of_bounds_fee_config_is_unsupported() -> None:
    state = _state(trade=999_000, creator=1_000)
    with pytest.raises(UnsupportedPool):
        V.state(*V.encode(state))


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_decoder_fuzz(data: st.DataObject) -> None:
    state = sample_state(random.Random(data.draw(seeds)))
    primary, deps = V.encode(state)
    target = data.draw(st.sampled_from([None, *deps]))
    raw = primary if target is None else deps[target]
    buf = bytearray(raw.data)
    mode = data.draw(st.sampled_from(["flip", "truncate", "random"]))
    if mode == "flip":
        for _ in range(data.draw(st.integers(1, 8))):
            i = data.draw(st.integers(0, len(buf) - 1))
            buf[i] = data.draw(st.integers(0, 255))
    elif mode == "truncate":
        del buf[data.draw(st.integers(0, len(buf) - 1)) :]
    else:
        buf = bytearray(data.draw(st.binary(max_size=700)))
    mutated = replace(raw, data=bytes(buf))
    if target is None:
        primary = mutated
    else:
        deps = {**deps, target: mutated}
    try:
        decoded = V.state(primary, deps)
    except VenueError:
        return
    # A decode that succeeds is a consistent state: it re-encodes to itself, and quoting
    # it gives a typed answer.
    assert V.state(*V.encode(decoded)) == decoded
    with contextlib.suppress(VenueError):
        V.quote_exact_in(decoded, decoded.mint_a, 10**6)


# ---- instruction ----------------------------------------------------------------------------


def test_swap_instructions_layout() -> None:
    state = _state()
    pool = state.pool
    owner, source, destination = (Pubkey.from_bytes(bytes([i]) * 32) for i in (21, 22, 23))
    ix = V.swap_instruction(
        state,
        owner=owner,
        mint_in=state.mint_b,
        amount=1_234,
        other_amount_threshold=5_678,
        exact_in=True,
        source=source,
        destination=destination,
    )
    assert ix.program_id == CPMM_PROGRAM
    assert bytes(ix.data) == hashlib.sha256(b"global:swap_base_input").digest()[:8] + struct.pack(
        "<QQ", 1_234, 5_678
    )
    expected = [
        (owner, True, False),
        (CPMM_AUTHORITY, False, False),
        (pool.amm_config, False, False),
        (state.address, False, True),
        (source, False, True),
        (destination, False, True),
        (pool.token_1_vault, False, True),
        (pool.token_0_vault, False, True),
        (pool.token_1_program, False, False),
        (pool.token_0_program, False, False),
        (pool.token_1_mint, False, False),
        (pool.token_0_mint, False, False),
        (pool.observation_key, False, True),
    ]
    assert [(m.pubkey, m.is_signer, m.is_writable) for m in ix.accounts] == expected
    out = V.swap_instruction(
        state,
        owner=owner,
        mint_in=state.mint_b,
        amount=1_234,
        other_amount_threshold=5_678,
        exact_in=False,
        source=source,
        destination=destination,
    )
    # swap_base_output(max_amount_in, amount_out): the threshold comes first.
    assert bytes(out.data) == hashlib.sha256(b"global:swap_base_output").digest()[:8] + struct.pack(
        "<QQ", 5_678, 1_234
    )
    assert (
        Pubkey.find_program_address([b"vault_and_lp_mint_auth_seed"], CPMM_PROGRAM)[0]
        == CPMM_AUTHORITY
    )
    with pytest.raises(AmountOutOfRange):
        V.swap_instruction(
            state,
            owner=owner,
            mint_in=state.mint_a,
            amount=1 << 64,
            other_amount_threshold=0,
            exact_in=True,
            source=source,
            destination=destination,
        )


def test_samples_are_realistic_and_quotable() -> None:
    rng = random.Random(5)
    for _ in range(200):
        state = sample_state(rng)
        assert state.halt is None
        mint_in, amount, exact_in = sample_request(rng, state)
        reserve = (
            (state.reserve_a if mint_in == state.mint_a else state.reserve_b)
            if exact_in
            else (state.reserve_b if mint_in == state.mint_a else state.reserve_a)
        )
        assert reserve // 10_001 <= amount <= reserve // 50 + 1
        quote = (V.quote_exact_in if exact_in else V.quote_exact_out)(state, mint_in, amount)
        assert quote.amount_in > 0
        assert quote.amount_out > 0


# ---- the quote hot path against the full path ----------------------------------------------

# Past every open time: the gate passes, and a `now` sends the quote down the full path
# (`fill_exact_in` / `fill_exact_out` over the SwapPath) instead of the inlined hot path.
_LATE = 2**62


def _outcome(
    method: Callable[..., Quote], state: CpmmState, mint_in: Pubkey, amount: int, **now: int
) -> Quote | tuple[type[Exception], str]:
    try:
        return method(state, mint_in, amount, **now)
    except VenueError as exc:
        return type(exc), str(exc)


def test_hot_path_quotes_and_refusals_equal_the_full_path() -> None:
    rng = random.Random(21)
    checked = 0
    for i in range(600):
        state = random_state(rng) if i % 2 else sample_state(rng)
        if i % 50 == 0:
            state = replace(state, pool=replace(state.pool, status=STATUS_SWAP_DISABLED))
        for mint_in, reserve_in, reserve_out in (
            (state.mint_a, state.reserve_a, state.reserve_b),
            (state.mint_b, state.reserve_b, state.reserve_a),
        ):
            # Every scale, plus the edges where the program refuses.
            amounts = [int(10 ** rng.uniform(0, 19.3)) for _ in range(6)]
            amounts += [0, 1, 2, U64_MAX, U64_MAX + 1, max(reserve_in, 1), max(reserve_out, 1)]
            amounts += [max(1, reserve_out - rng.randrange(3)), reserve_out + 1]
            for amount in amounts:
                for method in (V.quote_exact_in, V.quote_exact_out):
                    hot = _outcome(method, state, mint_in, amount)
                    full = _outcome(method, state, mint_in, amount, now=_LATE)
                    assert hot == full, (method.__name__, amount, state)
                    checked += isinstance(hot, Quote)
    assert checked > 5_000  # most requests are quotes, not refusals


def test_hot_path_keeps_the_input_vault_within_u64_to_the_atom() -> None:
    rng = random.Random(22)
    for _ in range(100):
        state = sample_state(rng)
        quote = V.quote_exact_in(state, state.mint_a, max(1, state.reserve_a // 100))
        for method, fill, amount in (
            (V.quote_exact_in, fill_exact_in, quote.amount_in),
            (V.quote_exact_out, fill_exact_out, quote.amount_out),
        ):
            needed = fill(amount, state.path_a_to_b)[2][SWAP_INPUT]  # what reaches the vault
            for room, fits in ((needed, True), (needed - 1, False)):
                # Accrued fees rise with the vault: the reserves (and the swap) stay the same.
                extra = U64_MAX - room - state.vault_amount_a
                pool = replace(state.pool, fund_fees_token_0=state.pool.fund_fees_token_0 + extra)
                edged = replace(state, vault_amount_a=state.vault_amount_a + extra, pool=pool)
                hot = _outcome(method, edged, edged.mint_a, amount)
                assert hot == _outcome(method, edged, edged.mint_a, amount, now=_LATE)
                assert isinstance(hot, Quote) == fits


# ---- decode memo ------------------------------------------------------------------------------


def _decoded(
    venue: RaydiumCpmmVenue, primary: RawAccount, deps: dict[Pubkey, RawAccount]
) -> object:
    try:
        return venue.state(primary, deps)
    except VenueError as exc:
        return type(exc), str(exc)


def test_redecode_reflects_each_changed_account() -> None:
    rng = random.Random(31)
    for _ in range(40):
        state = sample_state(rng)
        mint_in, amount, exact_in = sample_request(rng, state)
        quote = (V.quote_exact_in if exact_in else V.quote_exact_out)(state, mint_in, amount)
        moved = V.apply(state, quote)  # new vault amounts and pool fee counters
        moved = replace(
            moved,
            config=replace(moved.config, trade_fee_rate=moved.config.trade_fee_rate + 1),
            transfer_fees_a=(TransferFee(0, 5, 7), TransferFee(0, 5, 7)),
            pool=replace(moved.pool, token_0_program=TOKEN_2022_PROGRAM),
        )
        warm = RaydiumCpmmVenue()
        primary, deps = V.encode(state)
        assert warm.state(primary, deps) == state
        new_primary, new_deps = V.encode(moved)
        # One account at a time: each change shows, whatever the memo holds.
        for key in (None, *deps):
            mixed_primary = new_primary if key is None else primary
            mixed = dict(deps) if key is None else {**deps, key: new_deps[key]}
            assert _decoded(warm, mixed_primary, mixed) == _decoded(
                RaydiumCpmmVenue(), mixed_primary, mixed
            )
        assert warm.state(new_primary, new_deps) == moved
        assert warm.state(primary, deps) == state  # and back


def test_corrupt_update_after_a_good_one_raises_as_on_first_sight() -> None:
    rng = random.Random(32)
    raised = 0
    for _ in range(60):
        state = sample_state(rng)
        primary, deps = V.encode(state)
        warm = RaydiumCpmmVenue()
        warm.state(primary, deps)
        for key in (None, *deps):
            raw = primary if key is None else deps[key]
            for _ in range(6):
                buf = bytearray(raw.data)
                # Around a token account's amount and initialised byte, a pool's counters
                # and flags, and anywhere.
                spot = rng.choice(
                    (rng.randrange(60, 76), 108, rng.randrange(320, 420), rng.randrange(len(buf)))
                )
                buf[spot % len(buf)] ^= 1 << rng.randrange(8)
                bad = [
                    replace(raw, data=bytes(buf)),
                    replace(raw, data=raw.data[: rng.randrange(len(raw.data))]),
                ]
                bad.append(replace(raw, owner=rng.choice((CPMM_PROGRAM, SPL_TOKEN_PROGRAM))))
                for mutated in bad:
                    p = mutated if key is None else primary
                    d = deps if key is None else {**deps, key: mutated}
                    warm_result = _decoded(warm, p, d)
                    assert warm_result == _decoded(RaydiumCpmmVenue(), p, d)
                    raised += isinstance(warm_result, tuple)
            # The good bytes still decode after the bad ones.
            assert warm.state(primary, deps) == state
    assert raised > 1_000


def test_vault_not_initialised_after_a_good_update_raises() -> None:
    state = _state()
    primary, deps = V.encode(state)
    warm = RaydiumCpmmVenue()
    warm.state(primary, deps)
    vault = deps[state.pool.token_0_vault]
    buf = bytearray(vault.data)
    buf[108] = 0
    with pytest.raises(DecodeError, match="not initialized"):
        warm.state(primary, {**deps, vault.pubkey: replace(vault, data=bytes(buf))})
    with pytest.raises(DecodeError, match="not a token program"):
        warm.state(primary, {**deps, vault.pubkey: replace(vault, owner=CPMM_PROGRAM)})


def test_bytes_memo_is_bounded_and_keeps_recent_entries() -> None:
    memo: BytesMemo[int] = BytesMemo(100)
    for i in range(1_000):
        memo.put(i.to_bytes(4, "little"), i)
        if i >= 10:
            assert memo.get((7).to_bytes(4, "little")) == 7  # in use: survives
    assert len(memo) <= 200
    assert memo.get((500).to_bytes(4, "little")) is None  # long unused: dropped
    assert memo.get((999).to_bytes(4, "little")) == 999
