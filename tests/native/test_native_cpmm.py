"""The native raydium-cpmm port against the Python venue: decode, exact swaps, pieces.

The Python venue is the reference (the SDK tests pin it). Native Ok must mean the Python
`state()` succeeds and quotes identically; a Python refusal must be a native refusal of
the same class (DecodeError naming the same account, UnsupportedPool as a decline).
"""

from __future__ import annotations

import contextlib
import random
import struct
from dataclasses import replace
from fractions import Fraction

import pytest
import solarb_native
from hypothesis import event, given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.domain.amounts import U64_MAX
from solarb_runtime.domain.keys import SPL_TOKEN_PROGRAM, TOKEN_2022_PROGRAM
from solarb_runtime.sources.sim_makers import default_makers, derived_key
from solarb_runtime.sources.sim_market import PoolSpec, SimToken
from solarb_runtime.venues.base import DecodeError, UnsupportedPool, VenueError
from solarb_runtime.venues.native import (
    NativePool,
    native_account,
    native_deps,
    native_pool,
)
from solarb_runtime.venues.raydium_cpmm import CpmmState, RaydiumCpmmVenue
from solarb_runtime.venues.raydium_cpmm_layout import CPMM_PROGRAM, STATUS_SWAP_DISABLED
from solarb_runtime.venues.raydium_cpmm_samples import sample_state
from solarb_runtime.venues.token import EXT_TRANSFER_HOOK, TransferFee, encode_mint
from tests.native.parity import native_swap, python_swap
from tests.venues.test_raydium_cpmm_curve import random_state

V = RaydiumCpmmVenue()
KIND = V.kind
MAKER = default_makers()[KIND]
SYSTEM = Pubkey.from_string("11111111111111111111111111111111")


def _sim_state(rng: random.Random) -> CpmmState:
    """A pool as the market simulator builds it (plain SPL mints, one fee tier)."""
    dec_a, dec_b = rng.choice((6, 9)), rng.choice((6, 9))
    a = SimToken("A", derived_key("native-cpmm-mint", 1), dec_a, 1.0)
    b = SimToken("B", derived_key("native-cpmm-mint", 2), dec_b, rng.uniform(0.01, 100))
    spec = PoolSpec(KIND, derived_key("native-cpmm", rng.random()), a, b, 10 ** rng.uniform(3, 7))
    price = Fraction(10 ** rng.uniform(-3, 3)).limit_denominator(10**6)
    state = MAKER.make(spec, price, rng)
    assert isinstance(state, CpmmState)
    return state


def _state(seed: int, source: str) -> CpmmState:
    rng = random.Random(seed)
    if source == "sim":
        return _sim_state(rng)
    if source == "sample":
        return sample_state(rng)
    return random_state(rng)  # transfer fees, creator modes, vaults near u64


def _decode(primary: RawAccount, deps: dict[Pubkey, RawAccount]) -> NativePool | None:
    """The native pool, with the dependencies in the order the Python venue names them."""
    return native_pool(KIND, primary, deps, V.dependencies(primary))


def _native(state: CpmmState) -> NativePool | None:
    return _decode(*V.encode(state))


def _fee_in_force_is_total(state: CpmmState) -> bool:
    paths = (state.path_a_to_b, state.path_b_to_a)
    return any(p.fee_in is not None and p.fee_in.basis_points == 10_000 for p in paths)


def _amounts(rng: random.Random, state: CpmmState, a_to_b: bool, exact_in: bool) -> list[int]:
    """Tiny, typical, near and past the liquidity, and the u64 edge, in the counted token."""
    if exact_in:
        reserve = state.reserve_a if a_to_b else state.reserve_b
    else:
        reserve = state.reserve_b if a_to_b else state.reserve_a
    reserve = max(reserve, 1)
    out = [1, 2, rng.randrange(1, 1_000), U64_MAX, U64_MAX - rng.randrange(1_000)]
    for _ in range(12):
        share = 10 ** rng.uniform(-9, 0.5)
        out.append(min(max(1, int(reserve * share)), U64_MAX))
    out.append(min(reserve, U64_MAX))
    out.append(max(1, reserve - 1))
    return out


def _assert_header(pool: NativePool, state: CpmmState) -> None:
    assert pool.kind == KIND
    assert pool.address == bytes(state.address)
    assert (pool.mint_a, pool.mint_b) == (bytes(state.mint_a), bytes(state.mint_b))
    assert (pool.decimals_a, pool.decimals_b, pool.slot) == (
        state.decimals_a,
        state.decimals_b,
        state.slot,
    )


def _assert_quotes_equal(pool: NativePool, state: CpmmState, rng: random.Random) -> int:
    """Every direction and kind on a spread of amounts; returns how many quotes succeeded."""
    quoted = 0
    for a_to_b in (True, False):
        for exact_in in (True, False):
            for amount in _amounts(rng, state, a_to_b, exact_in):
                expected = python_swap(V, state, a_to_b, amount, exact_in)
                assert native_swap(pool, a_to_b, amount, exact_in) == expected, (
                    a_to_b,
                    exact_in,
                    amount,
                )
                quoted += isinstance(expected, tuple)
    return quoted


def _assert_pieces_equal(pool: NativePool, state: CpmmState) -> None:
    # Same float operations in the same order: the pieces are equal, not merely close.
    for a_to_b in (True, False):
        mint_in = state.mint_a if a_to_b else state.mint_b
        expected = [(p.x0, p.x1, p.out0, p.a, p.b, p.c) for p in V.curve(state, mint_in).pieces]
        assert pool.pieces(a_to_b, float("inf")) == expected


sources = st.sampled_from(["sim", "sample", "random"])
seeds = st.integers(0, 2**32)


@settings(max_examples=150, deadline=None)
@given(seed=seeds, source=sources)
def test_swaps_equal_the_python_venue(seed: int, source: str) -> None:
    state = _state(seed, source)
    pool = _native(state)
    if pool is None:
        # The only pools the port declines among these: a 100 % transfer fee in force.
        assert _fee_in_force_is_total(state)
        return
    _assert_header(pool, state)
    _assert_quotes_equal(pool, state, random.Random(seed))


def test_parity_is_not_vacuous() -> None:
    """Across the sources most pools decode natively and most quotes succeed."""
    decoded = quoted = 0
    for seed in range(60):
        state = _state(seed, ("sim", "sample", "random")[seed % 3])
        pool = _native(state)
        if pool is not None:
            decoded += 1
            quoted += _assert_quotes_equal(pool, state, random.Random(seed))
    assert decoded >= 50
    assert quoted >= decoded * 30


def test_token_2022_transfer_fee_pools_are_ported() -> None:
    """Pools with transfer fees in force on either side decode natively and quote equal."""
    seen = 0
    for seed in range(400):
        state = random_state(random.Random(seed))
        fees = (state.path_a_to_b.fee_in, state.path_a_to_b.fee_out)
        if all(f is None for f in fees) or _fee_in_force_is_total(state):
            continue
        pool = _native(state)
        assert pool is not None
        _assert_quotes_equal(pool, state, random.Random(seed))
        _assert_pieces_equal(pool, state)
        seen += 1
        if seen == 25:
            break
    assert seen == 25


@settings(max_examples=150, deadline=None)
@given(seed=seeds, source=sources)
def test_pieces_equal_the_python_curve(seed: int, source: str) -> None:
    state = _state(seed, source)
    pool = _native(state)
    if pool is not None:
        _assert_pieces_equal(pool, state)


def test_halted_pools_refuse_alike() -> None:
    rng = random.Random(7)
    base = _sim_state(rng)
    halted = [
        replace(base, pool=replace(base.pool, status=STATUS_SWAP_DISABLED)),
        replace(base, vault_amount_a=0),
        replace(base, pool=replace(base.pool, protocol_fees_token_1=base.vault_amount_b)),
        replace(base, pool=replace(base.pool, fund_fees_token_0=base.vault_amount_a + 1)),
        replace(
            base,
            pool=replace(base.pool, protocol_fees_token_0=U64_MAX, fund_fees_token_0=U64_MAX),
        ),
    ]
    for state in halted:
        assert state.halt is not None
        pool = _native(state)
        assert pool is not None
        for a_to_b in (True, False):
            for exact_in in (True, False):
                expected = python_swap(V, state, a_to_b, 1_000, exact_in)
                assert isinstance(expected, type)
                assert native_swap(pool, a_to_b, 1_000, exact_in) is expected
        _assert_pieces_equal(pool, state)


def test_same_tracks_what_quotes_read() -> None:
    state = _sim_state(random.Random(3))
    primary, deps = V.encode(state)
    pool, again = _decode(primary, deps), _decode(primary, deps)
    moved = _native(replace(state, vault_amount_a=state.vault_amount_a + 1))
    assert pool is not None
    assert again is not None
    assert moved is not None
    assert pool.same(again)
    assert not pool.same(moved)


# ---- decode fuzz -----------------------------------------------------------------------

_OWNERS = (CPMM_PROGRAM, SPL_TOKEN_PROGRAM, TOKEN_2022_PROGRAM, SYSTEM)


def _mutate(data: st.DataObject, raw: RawAccount) -> RawAccount | None:
    """One corruption of an account; None drops it (the feed has not delivered it)."""
    mode = data.draw(st.sampled_from(["flip", "truncate", "extend", "random", "owner", "drop"]))
    buf = bytearray(raw.data)
    if mode == "drop":
        return None
    if mode == "owner":
        return replace(raw, owner=data.draw(st.sampled_from(_OWNERS)))
    if mode == "flip" and buf:
        for _ in range(data.draw(st.integers(1, 6))):
            i = data.draw(st.integers(0, len(buf) - 1))
            buf[i] = data.draw(st.integers(0, 255))
    elif mode == "truncate":
        del buf[data.draw(st.integers(0, len(buf))) :]
    elif mode == "extend":
        buf += data.draw(st.binary(min_size=1, max_size=200))
    else:
        buf = bytearray(data.draw(st.binary(max_size=700)))
    return replace(raw, data=bytes(buf))


def _targeted(data: st.DataObject, state: CpmmState, raw: RawAccount) -> RawAccount:
    """A corruption aimed at one checked field (flags, decimals, types, TLV, status)."""
    buf = bytearray(raw.data)
    spots = {
        CPMM_PROGRAM: [9, 329, 331, 332, 389, 390] if len(buf) > 236 else [9, 12, 20, 28, 108],
    }.get(raw.owner, [44, 45, 108, 165, 166, 167])
    at = data.draw(st.sampled_from([s for s in spots if s < len(buf)] or [0]))
    if at < len(buf):
        buf[at] = data.draw(st.sampled_from([0, 1, 2, 3, 4, 255]))
    return replace(raw, data=bytes(buf))


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_decode_fuzz_fails_where_python_fails(data: st.DataObject) -> None:
    state = _state(data.draw(seeds), data.draw(sources))
    primary, deps = V.encode(state)
    order = V.dependencies(primary)
    for _ in range(data.draw(st.integers(1, 2))):
        target = data.draw(st.sampled_from([None, *order]))
        raw = primary if target is None else deps.get(target)
        if raw is None:
            continue
        if data.draw(st.booleans()):
            mutated: RawAccount | None = _targeted(data, state, raw)
        else:
            mutated = _mutate(data, raw)
        if target is None:
            primary = mutated or replace(raw, data=b"")
        elif mutated is None:
            deps = {k: v for k, v in deps.items() if k != target}
        else:
            deps = {**deps, target: mutated}
    # If the primary fails, the native decoder must fail on it before any dependency.
    with contextlib.suppress(DecodeError):
        order = V.dependencies(primary)
    try:
        expected: CpmmState | VenueError = V.state(primary, deps)
    except VenueError as exc:
        expected = exc
    if isinstance(expected, DecodeError):
        with pytest.raises(DecodeError) as raised:
            native_pool(KIND, primary, deps, order)
        assert raised.value.account == expected.account, (raised.value, expected)
        event(f"decode error: {expected.kind}")
        return
    pool = native_pool(KIND, primary, deps, order)
    if isinstance(expected, VenueError):
        assert isinstance(expected, UnsupportedPool), expected
        assert pool is None
        event("unsupported: declined")
        return
    if pool is None:
        reason = solarb_native.decline_reason(
            KIND, native_account(primary), native_deps(deps, order)
        )
        assert reason
        event(f"declined: {reason}")
        return
    event("decoded alike")
    _assert_header(pool, expected)
    _assert_quotes_equal(pool, expected, random.Random(0))
    _assert_pieces_equal(pool, expected)


# ---- declines ----------------------------------------------------------------------------


def _reason(primary: RawAccount, deps: dict[Pubkey, RawAccount]) -> str | None:
    order = V.dependencies(primary)
    return solarb_native.decline_reason(KIND, native_account(primary), native_deps(deps, order))


def _t22_state() -> CpmmState:
    state = _sim_state(random.Random(11))
    fee = TransferFee(epoch=0, maximum_fee=10**9, basis_points=50)
    pool = replace(state.pool, token_0_program=TOKEN_2022_PROGRAM)
    return replace(state, pool=pool, transfer_fees_a=(fee, fee))


def test_transfer_hook_mint_declines() -> None:
    state = _t22_state()
    primary, deps = V.encode(state)
    assert _reason(primary, deps) is None  # a plain transfer fee is ported
    hook = struct.pack("<HH", EXT_TRANSFER_HOOK, 64) + bytes(64)
    mint = encode_mint(state.decimals_a, token_2022_fee=state.transfer_fees_a) + hook
    deps[state.mint_a] = replace(deps[state.mint_a], data=mint)
    with pytest.raises(UnsupportedPool, match="transfer hook"):
        V.state(primary, deps)
    reason = _reason(primary, deps)
    assert reason is not None
    assert "transfer hook" in reason


def test_full_transfer_fee_in_force_declines() -> None:
    state = _t22_state()
    total = TransferFee(epoch=0, maximum_fee=5, basis_points=10_000)
    state = replace(state, transfer_fees_a=(total, total))
    assert V.state(*V.encode(state)) == state  # Python quotes it; the port leaves it there
    assert _reason(*V.encode(state)) == "a mint's transfer fee in force is 100%"


def test_out_of_bounds_rates_decline() -> None:
    state = _sim_state(random.Random(5))
    bad = replace(state, config=replace(state.config, protocol_fee_rate=960_001))
    primary, deps = V.encode(bad)
    with pytest.raises(UnsupportedPool):
        V.state(primary, deps)
    assert _reason(primary, deps) == "config fee rates outside the program's bounds"
