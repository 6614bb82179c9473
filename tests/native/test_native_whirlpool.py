"""The native orca-whirlpool port against the Python venue, its reference.

Every exact swap must equal the Python quote field for field (amount_in, amount_out,
fee, steps) or fail with the same error class; the leg-model pieces must be the same
floats; and a native decode may only succeed where the Python `state()` does (and then
quote identically), on realistic states, extreme ones and corrupted accounts alike.
"""

from __future__ import annotations

import math
import random
import struct
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction

import pytest
import solarb_native
from hypothesis import given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from solarb_runtime.domain.account import SYSTEM_PROGRAM, RawAccount
from solarb_runtime.domain.keys import SPL_TOKEN_PROGRAM, TOKEN_2022_PROGRAM
from solarb_runtime.sources.sim_makers import default_makers, derived_key
from solarb_runtime.sources.sim_market import PoolSpec, SimToken
from solarb_runtime.venues.base import DecodeError, UnsupportedPool, VenueError
from solarb_runtime.venues.native import NativePool, native_deps, native_pool
from solarb_runtime.venues.orca_whirlpool import VENUE, OrcaWhirlpoolVenue
from solarb_runtime.venues.orca_whirlpool_layout import (
    WHIRLPOOL_PROGRAM,
    ZERO_TICK,
    RewardInfo,
    Tick,
    TickArray,
    TickArrayKind,
    WhirlpoolState,
    oracle_address,
    swap_start_indexes,
    tick_array_address,
)
from solarb_runtime.venues.orca_whirlpool_math import (
    MAX_SQRT_PRICE_X64,
    MIN_SQRT_PRICE_X64,
    tick_index_from_sqrt_price,
)
from solarb_runtime.venues.orca_whirlpool_samples import FEE_TIERS, sample_state
from solarb_runtime.venues.token import EXT_TRANSFER_FEE_CONFIG, MintInfo, TransferFee
from tests.native.parity import native_swap, python_swap

KIND = VENUE.kind
U64_MAX = (1 << 64) - 1
Accounts = tuple[RawAccount, dict[Pubkey, RawAccount]]


def _key(rng: random.Random) -> Pubkey:
    return Pubkey.from_bytes(rng.randbytes(32))


def _extreme_state(rng: random.Random) -> WhirlpoolState:
    """A pool at a random price anywhere in the program's range, with random (often huge)
    liquidity and crossings, Token-2022 fees and every tick-array format: the integer
    math's corners (u64/u128/u256 bounds, liquidity under- and overflow)."""
    spacing, fee_rate = rng.choice([*FEE_TIERS, (1, 60_000), (256, 0), (32_768, 10_000)])
    sqrt_price = rng.choice(
        [
            rng.randrange(MIN_SQRT_PRICE_X64, MAX_SQRT_PRICE_X64 + 1),
            rng.randrange(MIN_SQRT_PRICE_X64, MIN_SQRT_PRICE_X64 << 4),
            rng.randrange(MAX_SQRT_PRICE_X64 >> 4, MAX_SQRT_PRICE_X64 + 1),
            rng.randrange(1 << 60, 1 << 68),
        ]
    )
    tick = tick_index_from_sqrt_price(sqrt_price)
    address = _key(rng)
    mint_a, mint_b = sorted((_key(rng), _key(rng)), key=bytes)
    starts = sorted(
        set(swap_start_indexes(tick, spacing, True)) | set(swap_start_indexes(tick, spacing, False))
    )
    arrays = []
    for start in starts:
        ticks = [ZERO_TICK] * 88
        for _ in range(rng.choice([0, 1, 3, 8])):
            offset = rng.randrange(88)
            if not -443_636 <= start + offset * spacing <= 443_636:
                continue
            net = rng.choice([1, -1]) * (1 << rng.randrange(0, 128)) + rng.randrange(-5, 5)
            net = max(-(1 << 127), min(net, (1 << 127) - 1))
            ticks[offset] = Tick(True, net, abs(net), 0, 0, (0, 0, 0))
        kind: TickArrayKind = rng.choice(["fixed", "dynamic"])
        if not any(t.initialized for t in ticks) and rng.random() < 0.3:
            kind = "absent"
        arrays.append(
            TickArray(tick_array_address(address, start), start, address, kind, tuple(ticks))
        )
    if rng.random() < 0.2:  # an array missing from the supply: the quote runs out of range
        arrays.pop(rng.randrange(len(arrays)))

    def mint(key: Pubkey) -> MintInfo:
        if rng.random() < 0.25:
            fee = TransferFee(
                epoch=rng.choice([0, 10**6]),
                maximum_fee=rng.choice([0, 7, 10**6, U64_MAX]),
                basis_points=rng.choice([1, 30, 2_500, 10_000]),
            )
            return MintInfo(
                key, TOKEN_2022_PROGRAM, 6, 10**9, fee, replace(fee, basis_points=7), frozenset({1})
            )
        return MintInfo(key, SPL_TOKEN_PROGRAM, rng.randrange(0, 12), 10**9)

    empty = RewardInfo(Pubkey.default(), Pubkey.default(), bytes(32), 0, 0)
    return WhirlpoolState(
        venue=KIND, address=address, mint_a=mint_a, mint_b=mint_b, decimals_a=6,
        decimals_b=6, slot=rng.randrange(0, 10**9), whirlpools_config=_key(rng),
        whirlpool_bump=255, tick_spacing=spacing, fee_tier_index=spacing, fee_rate=fee_rate,
        protocol_fee_rate=rng.choice([0, 1_300, 2_500]),
        liquidity=rng.choice([0, 1, *(rng.getrandbits(bits) for bits in (64, 100, 128))]),
        sqrt_price=sqrt_price, tick_current_index=tick, protocol_fee_owed_a=0,
        protocol_fee_owed_b=0, token_vault_a=_key(rng), token_vault_b=_key(rng),
        fee_growth_global_a=0, fee_growth_global_b=0, reward_last_updated_timestamp=0,
        reward_infos=(empty,) * 3, tick_arrays=tuple(arrays), mint_info_a=mint(mint_a),
        mint_info_b=mint(mint_b),
    )  # fmt: skip


def _sim_state(seed: int) -> WhirlpoolState:
    """A pool as the simulator makes it (one wide position, absent arrays)."""
    rng = random.Random(seed)
    a = SimToken("A", derived_key("native-wp-mint", seed, 1), rng.choice([6, 9]), 1.0)
    b = SimToken("B", derived_key("native-wp-mint", seed, 2), rng.choice([5, 6, 9]), 150.0)
    spec = PoolSpec(KIND, derived_key("native-wp", seed), a, b, 10 ** rng.uniform(2, 7))
    price = Fraction(rng.uniform(0.001, 1000.0)).limit_denominator(10**9)
    state = default_makers()[KIND].make(spec, price, rng)
    assert isinstance(state, WhirlpoolState)
    return state


def _state(kind: str, seed: int) -> WhirlpoolState:
    if kind == "sim":
        return _sim_state(seed)
    if kind == "sample":
        return sample_state(random.Random(seed))
    return _extreme_state(random.Random(seed))


def _decode(accounts: Accounts, venue: OrcaWhirlpoolVenue = VENUE) -> NativePool | None:
    primary, deps = accounts
    return native_pool(KIND, primary, deps, venue.dependencies(primary))


def _amounts(rng: random.Random, state: WhirlpoolState) -> list[int]:
    """Tiny, typical (a fraction of the active liquidity's reach), huge and past it."""
    reach = max(1, state.liquidity >> 64) * rng.choice([1, 3, 1000])
    return [
        1,
        rng.randrange(1, 1_000),
        min(U64_MAX, max(1, int(reach * rng.uniform(0.0001, 0.5)))),
        min(U64_MAX, max(1, int(reach * rng.uniform(0.5, 20)))),
        int(10 ** rng.uniform(0, 19.2)),
        int(10 ** rng.uniform(0, 19.2)),
        rng.randrange(1, U64_MAX),
        U64_MAX,
    ]


def _assert_quotes_equal(state: WhirlpoolState, pool: NativePool, rng: random.Random) -> int:
    """Both directions, exact in and out, many sizes; returns how many swaps succeeded."""
    filled = 0
    for a_to_b in (True, False):
        for exact_in in (True, False):
            for amount in _amounts(rng, state):
                expected = python_swap(VENUE, state, a_to_b, amount, exact_in)
                got = native_swap(pool, a_to_b, amount, exact_in)
                assert got == expected, (a_to_b, exact_in, amount)
                filled += isinstance(expected, tuple)
    return filled


def _assert_pieces_equal(state: WhirlpoolState, pool: NativePool) -> None:
    for a_to_b in (True, False):
        mint_in = state.mint_a if a_to_b else state.mint_b
        expected = [(p.x0, p.x1, p.out0, p.a, p.b, p.c) for p in VENUE.curve(state, mint_in).pieces]
        # Same float operations in the same order: equal, not merely close.
        assert pool.pieces(a_to_b, math.inf) == expected
        # Built on demand: a prefix that covers the asked input.
        if expected:
            x_max = expected[0][1] * 0.5
            prefix = pool.pieces(a_to_b, x_max)
            assert prefix == expected[: len(prefix)]
            assert prefix[-1][1] > x_max or prefix == expected


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["sim", "sample", "extreme"]), st.integers(0, 2**32))
def test_swaps_and_pieces_match_the_python_venue(kind: str, seed: int) -> None:
    state = _state(kind, seed)
    accounts = VENUE.encode(state)
    decoded = VENUE.state(*accounts)
    pool = _decode(accounts)
    assert pool is not None, solarb_native.decline_reason(
        KIND, *_native_args(accounts, VENUE.dependencies(accounts[0]))
    )
    assert (pool.address, pool.mint_a, pool.mint_b) == tuple(
        bytes(k) for k in (state.address, state.mint_a, state.mint_b)
    )
    assert (pool.decimals_a, pool.decimals_b, pool.slot) == (
        decoded.decimals_a,
        decoded.decimals_b,
        decoded.slot,
    )
    _assert_quotes_equal(decoded, pool, random.Random(seed))
    _assert_pieces_equal(decoded, pool)


def test_realistic_pools_fill_and_cross_ticks_natively() -> None:
    """Not vacuous: most sampled swaps fill, some cross ticks, some pay transfer fees."""
    filled = crossed = token_2022 = 0
    for seed in range(40):
        state = sample_state(random.Random(seed))
        pool = _decode(VENUE.encode(state))
        assert pool is not None
        filled += _assert_quotes_equal(state, pool, random.Random(seed))
        for a_to_b in (True, False):
            for amount in (10**6, 10**9, 10**12):
                outcome = native_swap(pool, a_to_b, amount, True)
                crossed += isinstance(outcome, tuple) and outcome[3] > 0
        token_2022 += TOKEN_2022_PROGRAM in (
            state.mint_info_a.token_program,
            state.mint_info_b.token_program,
        )
    assert filled > 40 * 32 // 3
    assert crossed > 10
    assert token_2022 > 0


def _native_args(
    accounts: Accounts, order: tuple[Pubkey, ...]
) -> tuple[tuple[bytes, bytes, bytes, int], list[tuple[bytes, bytes, bytes, int] | None]]:
    primary, deps = accounts
    return (bytes(primary.pubkey), bytes(primary.owner), primary.data, primary.slot), native_deps(
        deps, order
    )


def _corrupt(rng: random.Random, raw: RawAccount) -> RawAccount | None:
    """`raw` damaged one way (None: the account goes missing)."""
    blob = bytearray(raw.data)
    mode = rng.choice(["flip", "field", "truncate", "extend", "owner", "missing", "empty"])
    if mode == "flip" and blob:
        for _ in range(rng.randint(1, 4)):
            blob[rng.randrange(len(blob))] ^= 1 << rng.randrange(8)
    elif mode == "field" and blob:
        # Hit the fields the checks read: header words, tick flags, the TLV and bitmap.
        at = rng.choice([8, 12, 41, 43, 45, 47, 65, 81, 44, 52, 60, 165, 166, 168, 200])
        at = min(at, len(blob) - 1)
        blob[at] = rng.choice([0, 1, 2, 255, blob[at] ^ 0x80])
    elif mode == "truncate":
        del blob[rng.randrange(len(blob) + 1) :]
    elif mode == "extend":
        blob += bytes(rng.choice([1, 8, 113]))
    elif mode == "owner":
        owner = rng.choice(
            [SYSTEM_PROGRAM, WHIRLPOOL_PROGRAM, SPL_TOKEN_PROGRAM, TOKEN_2022_PROGRAM]
        )
        return replace(raw, owner=owner)
    elif mode == "missing":
        return None
    elif mode == "empty":
        return replace(raw, owner=SYSTEM_PROGRAM, data=b"")
    return replace(raw, data=bytes(blob))


def _python_state(venue: OrcaWhirlpoolVenue, accounts: Accounts) -> WhirlpoolState | str:
    try:
        return venue.state(*accounts)
    except DecodeError:
        return "DecodeError"
    except UnsupportedPool:
        return "UnsupportedPool"


def _native_state(venue: OrcaWhirlpoolVenue, accounts: Accounts) -> NativePool | str | None:
    try:
        return _decode(accounts, venue)
    except DecodeError:
        return "DecodeError"


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["sample", "extreme", "sim"]), st.integers(0, 2**32), st.integers(0, 2**32))
def test_corrupted_accounts_decode_only_where_python_does(
    kind: str, seed: int, damage: int
) -> None:
    rng = random.Random(damage)
    primary, deps = VENUE.encode(_state(kind, seed))
    deps[oracle_address(primary.pubkey)] = RawAccount(
        oracle_address(primary.pubkey), SYSTEM_PROGRAM, b""
    )
    for _ in range(rng.randint(1, 3)):
        target = rng.choice([primary.pubkey, *deps])
        raw = primary if target == primary.pubkey else deps[target]
        damaged = _corrupt(rng, raw)
        if target == primary.pubkey:
            primary = damaged or replace(primary, data=b"")
        elif damaged is None:
            del deps[target]
        else:
            deps[target] = damaged
    venue = OrcaWhirlpoolVenue()  # a fresh decode cache: no earlier version to diff against
    expected = _python_state(venue, (primary, deps))
    got = _native_state(venue, (primary, deps))
    if isinstance(expected, str):
        # Python refuses: native refuses too, or declines (the Python path then refuses).
        assert got is None or got == "DecodeError", expected
        return
    # Python decodes: native must not reject it; where it quotes, it quotes the same.
    assert got != "DecodeError"
    if isinstance(got, NativePool):
        _assert_quotes_equal(expected, got, rng)
        _assert_pieces_equal(expected, got)


def _hook_mint(info: MintInfo) -> bytes:
    """A Token-2022 mint with a transfer fee and a transfer-hook extension after it."""
    base = bytearray(82)
    struct.pack_into("<QBB", base, 36, info.supply, info.decimals, 1)
    fee = bytearray(108)
    tlv = struct.pack("<HH", EXT_TRANSFER_FEE_CONFIG, len(fee)) + bytes(fee)
    tlv += struct.pack("<HH", 14, 64) + bytes(64)
    return bytes(base) + bytes(165 - 82) + b"\x01" + tlv


def test_features_python_refuses_are_declined() -> None:
    state = sample_state(random.Random(7))
    assert _decode(VENUE.encode(state)) is not None

    def adaptive(primary: RawAccount, deps: dict[Pubkey, RawAccount]) -> Accounts:
        blob = bytearray(primary.data)
        struct.pack_into("<H", blob, 43, state.tick_spacing + 1)  # fee_tier_index
        return replace(primary, data=bytes(blob)), deps

    def oracle(primary: RawAccount, deps: dict[Pubkey, RawAccount]) -> Accounts:
        key = oracle_address(primary.pubkey)
        return primary, {**deps, key: RawAccount(key, WHIRLPOOL_PROGRAM, b"\x01" * 64)}

    def hook(primary: RawAccount, deps: dict[Pubkey, RawAccount]) -> Accounts:
        mint = RawAccount(state.mint_b, TOKEN_2022_PROGRAM, _hook_mint(state.mint_info_b))
        return primary, {**deps, state.mint_b: mint}

    cases: dict[str, Callable[[RawAccount, dict[Pubkey, RawAccount]], Accounts]] = {
        "adaptive": adaptive,
        "Oracle": oracle,
        "hook": hook,
    }
    for word, change in cases.items():
        primary, deps = change(*VENUE.encode(state))
        with pytest.raises(UnsupportedPool, match=word):
            VENUE.state(primary, deps)
        args = _native_args((primary, deps), VENUE.dependencies(primary))
        assert solarb_native.decode(KIND, *args) is None
        assert solarb_native.decline_reason(KIND, *args) is not None


def test_transfer_fee_pools_quote_natively() -> None:
    """Token-2022 transfer fees are ported, not declined: an epoch switch included."""
    seen = 0
    for seed in range(200):
        state = _extreme_state(random.Random(seed))
        if TOKEN_2022_PROGRAM not in (
            state.mint_info_a.token_program,
            state.mint_info_b.token_program,
        ):
            continue
        seen += 1
        pool = _decode(VENUE.encode(state))
        assert pool is not None
        _assert_quotes_equal(state, pool, random.Random(seed))
    assert seen > 20


def test_same_tells_quote_relevant_changes() -> None:
    state = sample_state(random.Random(3))
    first = _decode(VENUE.encode(state))
    again = _decode(VENUE.encode(state))
    assert first is not None
    assert again is not None
    assert first.same(again)
    quote = VENUE.quote_exact_in(state, state.mint_a, 10**6)
    moved = _decode(VENUE.encode(VENUE.apply(state, quote)))
    assert moved is not None
    assert not first.same(moved)


def test_missing_dependencies_fail_as_python_does() -> None:
    state = sample_state(random.Random(11))
    primary, deps = VENUE.encode(state)
    order = VENUE.dependencies(primary)
    for key in order:
        without = {k: v for k, v in deps.items() if k != key}
        try:
            expected: object = VENUE.state(primary, without)
        except VenueError as exc:
            expected = type(exc).__name__
        try:
            got: object = native_pool(KIND, primary, without, order)
        except DecodeError:
            got = "DecodeError"
        if isinstance(expected, str):
            assert got in ("DecodeError", None)
        else:
            assert isinstance(got, NativePool)
            assert isinstance(expected, WhirlpoolState)
            _assert_quotes_equal(expected, got, random.Random(1))
    # A dependency list of the wrong length is the caller's bug, not a pool to quote.
    args = _native_args((primary, deps), order)
    with pytest.raises(solarb_native.DecodeFailure) as failure:
        solarb_native.decode(KIND, args[0], args[1][:-1])
    assert failure.value.args[0] == 0
