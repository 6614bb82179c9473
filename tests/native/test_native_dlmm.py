"""The native meteora-dlmm core against the Python venue, the reference.

Parity on sim and mainnet-shaped pairs (fee modes, limit orders, Token-2022 transfer fees,
volatility decay, refusals): every swap the native core quotes equals the Python quote
field for field, or both fail with the same error class; the leg model's pieces are equal
float for float. The decoder is fuzzed on mutated accounts: a native pool implies the
Python state decodes and quotes the same, and a Python failure implies a native failure
or decline.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
from collections.abc import Callable, Mapping
from fractions import Fraction

import solarb_native
from hypothesis import given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.domain.amounts import U64_MAX
from solarb_runtime.domain.keys import TOKEN_2022_PROGRAM
from solarb_runtime.sources.sim_makers import default_makers, derived_key
from solarb_runtime.sources.sim_market import PoolSpec, SimToken
from solarb_runtime.venues.base import (
    DecodeError,
    QuoteError,
    UnsupportedPool,
    VenueError,
)
from solarb_runtime.venues.meteora_dlmm import DlmmState, MeteoraDlmmVenue
from solarb_runtime.venues.meteora_dlmm_layout import BIN_LEN, BINS_PER_ARRAY
from solarb_runtime.venues.meteora_dlmm_samples import (
    sample_request,
    sample_state,
    varied_state,
    with_limit_orders,
    with_transfer_fee,
)
from solarb_runtime.venues.native import native_deps, native_pool
from solarb_runtime.venues.token import EXT_TRANSFER_HOOK, TransferFee
from tests.native.parity import native_swap, python_swap

KIND = "meteora-dlmm"
VENUE = MeteoraDlmmVenue()
A = SimToken("A", derived_key("native-dlmm-mint", 1), 6, 1.0)
B = SimToken("B", derived_key("native-dlmm-mint", 2), 9, 150.0)

Accounts = tuple[RawAccount, dict[Pubkey, RawAccount], tuple[Pubkey, ...]]


def _accounts(state: DlmmState) -> Accounts:
    """The state's accounts as a feed delivers them: the deps `dependencies()` asks for."""
    primary, encoded = VENUE.encode(state)
    order = VENUE.dependencies(primary)
    return primary, {k: encoded[k] for k in order if k in encoded}, order


def _decode(state: DlmmState) -> tuple[DlmmState, solarb_native.Pool]:
    primary, deps, order = _accounts(state)
    py = VENUE.state(primary, deps)
    pool = native_pool(KIND, primary, deps, order)
    assert pool is not None, solarb_native.decline_reason(
        KIND,
        (bytes(primary.pubkey), bytes(primary.owner), primary.data, primary.slot),
        native_deps(deps, order),
    )
    return py, pool


def _same_swap(
    state: DlmmState, pool: solarb_native.Pool, a_to_b: bool, amount: int, exact_in: bool
) -> object:
    want = python_swap(VENUE, state, a_to_b, amount, exact_in)
    got = native_swap(pool, a_to_b, amount, exact_in)
    assert got == want, (a_to_b, amount, exact_in, got, want)
    return want


def _pieces(state: DlmmState, a_to_b: bool) -> list[tuple[float, ...]]:
    curve = VENUE.curve(state, state.mint_a if a_to_b else state.mint_b)
    return [(p.x0, p.x1, p.out0, p.a, p.b, p.c) for p in curve.pieces]


def _same_pieces(state: DlmmState, pool: solarb_native.Pool) -> None:
    for a_to_b in (True, False):
        # Built with the reference's float operations in its order: exactly equal.
        assert pool.pieces(a_to_b, float("inf")) == _pieces(state, a_to_b)


def _amounts(rng: random.Random, state: DlmmState) -> list[tuple[bool, int, bool]]:
    """Tiny, typical (one to three bins), large, past-liquidity and extreme requests."""
    out: list[tuple[bool, int, bool]] = []
    for _ in range(6):
        try:
            mint_in, amount, exact_in = sample_request(rng, state)
        except (KeyError, ZeroDivisionError):
            # A fuzzed pair whose bins around the active one are not supplied.
            mint_in, amount, exact_in = state.mint_a, rng.randint(1, 10**9), True
        out.append((mint_in == state.mint_a, amount, exact_in))
    for a_to_b in (True, False):
        for exact_in in (True, False):
            out.append((a_to_b, rng.randint(1, 50), exact_in))
            out.append((a_to_b, int(10 ** rng.uniform(2, 19.2)), exact_in))
            out.append((a_to_b, U64_MAX, exact_in))
            out.append((a_to_b, rng.choice((0, U64_MAX + 1)), exact_in))
    return out


def _sim_state(rng: random.Random) -> DlmmState:
    maker = default_makers()[KIND]
    spec = PoolSpec(KIND, derived_key("native-dlmm", rng.random()), A, B, rng.uniform(1e3, 1e7))
    price = Fraction(rng.uniform(0.01, 300.0) * 10**B.decimals / 10**A.decimals)
    state = maker.make(spec, price, rng)
    assert isinstance(state, DlmmState)
    return state


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_sim_pairs_quote_identically(seed: int) -> None:
    rng = random.Random(seed)
    py, pool = _decode(_sim_state(rng))
    assert (pool.mint_a, pool.mint_b) == (bytes(py.mint_a), bytes(py.mint_b))
    assert (pool.decimals_a, pool.decimals_b, pool.slot) == (py.decimals_a, py.decimals_b, py.slot)
    for a_to_b, amount, exact_in in _amounts(rng, py):
        _same_swap(py, pool, a_to_b, amount, exact_in)
    _same_pieces(py, pool)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_varied_pairs_quote_identically(seed: int) -> None:
    """Fee modes, limit orders, transfer fees, volatility decay: every feature at random."""
    rng = random.Random(seed)
    py, pool = _decode(varied_state(rng))
    results = [_same_swap(py, pool, *request) for request in _amounts(rng, py)]
    # Not vacuous: most of these requests fill.
    assert sum(isinstance(r, tuple) for r in results) >= len(results) // 3
    _same_pieces(py, pool)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_volatile_pairs_quote_identically(seed: int) -> None:
    """Arbitrary volatility state and fee parameters: every rounding of the variable fee,
    the decay of the references with time, and the 10% fee cap."""
    rng = random.Random(seed)
    state = varied_state(rng)
    pair = state.pair
    params = dataclasses.replace(
        pair.parameters,
        variable_fee_control=rng.choice((0, rng.randrange(1, 2**32))),
        max_volatility_accumulator=rng.randrange(2**32),
        base_factor=rng.randrange(2**16),
        base_fee_power_factor=rng.choice((0, 0, 1, 2, 200)),
        filter_period=rng.randrange(2**16),
        decay_period=rng.randrange(2**16),
        reduction_factor=rng.randrange(10_001),
    )
    v = dataclasses.replace(
        pair.v_parameters,
        volatility_accumulator=rng.randrange(2**32),
        volatility_reference=rng.randrange(rng.choice((2**32, 10**6))),
        index_reference=pair.active_id + rng.randint(-300, 300),
    )
    pair = dataclasses.replace(pair, parameters=params, v_parameters=v)
    elapsed = rng.choice((0, rng.randrange(2**16), 2**40, -5))
    state = dataclasses.replace(state, pair=pair, clock_unix_ts=v.last_update_timestamp + elapsed)
    py, pool = _decode(state)
    for request in _amounts(rng, py):
        _same_swap(py, pool, *request)
    _same_pieces(py, pool)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_unstored_prices_are_computed_identically(seed: int) -> None:
    """Bins whose price the program has not stored yet: the price comes from the bin id
    (the program's pow), at bin steps where it overflows near the pair's price too."""
    rng = random.Random(seed)
    state = varied_state(rng)
    arrays = []
    for array in state.bin_arrays:
        buf = bytearray(array.bins)
        for i in range(BINS_PER_ARRAY):
            if rng.random() < 0.9:
                buf[i * BIN_LEN + 16 : i * BIN_LEN + 32] = bytes(16)
        arrays.append(dataclasses.replace(array, bins=bytes(buf)))
    bin_step = rng.choice((1, 5, 10, 25, 50, 100, 400, 2**16 - 1))
    pair = dataclasses.replace(state.pair, bin_step=bin_step)
    py, pool = _decode(dataclasses.replace(state, pair=pair, bin_arrays=tuple(arrays)))
    for request in _amounts(rng, py):
        _same_swap(py, pool, *request)
    _same_pieces(py, pool)


def test_every_failure_class_is_met() -> None:
    """Over many pairs and requests the parity covers fills and each failure class."""
    rng = random.Random(7)
    seen: set[str] = set()
    for _ in range(12):
        state = varied_state(rng)
        if rng.random() < 0.5:
            # The walk needs an array the feed did not supply.
            state = dataclasses.replace(state, bin_arrays=state.bin_arrays[1:])
        primary, deps, order = _accounts(state)
        py = VENUE.state(primary, deps)
        pool = native_pool(KIND, primary, deps, order)
        assert pool is not None
        for request in _amounts(rng, py):
            result = _same_swap(py, pool, *request)
            seen.add(result.__name__ if isinstance(result, type) else "filled")
    assert seen >= {"filled", "InsufficientLiquidity", "OutOfSuppliedRange", "AmountOutOfRange"}


def test_refusing_pairs_refuse_natively() -> None:
    rng = random.Random(11)
    base = sample_state(rng)
    pair = base.pair
    future = base.clock_unix_ts + 100
    cases = [
        (dataclasses.replace(pair, status="disabled"), QuoteError),
        (
            dataclasses.replace(
                pair, pair_type="permission", activation_type="timestamp", activation_point=future
            ),
            QuoteError,
        ),
        (
            dataclasses.replace(
                pair, pair_type="customizable-permissionless", activation_point=base.slot + 1
            ),
            QuoteError,
        ),
        (dataclasses.replace(pair, pair_type="permission", activation_point=base.slot), None),
    ]
    for new_pair, error in cases:
        py, pool = _decode(dataclasses.replace(base, pair=new_pair))
        for a_to_b, amount, exact_in in _amounts(rng, py)[:6]:
            result = _same_swap(py, pool, a_to_b, amount, exact_in)
            if error is not None:
                assert result is error
        _same_pieces(py, pool)


def test_limit_order_only_bins_and_output_fee_mode() -> None:
    """Bins holding only limit orders and `only-y` fees go through the general bin fill."""
    rng = random.Random(3)
    for _ in range(6):
        state = with_limit_orders(sample_state(rng), rng, share=0.8)
        params = dataclasses.replace(
            state.pair.parameters, function_type="limit-order", collect_fee_mode="only-y"
        )
        state = dataclasses.replace(state, pair=dataclasses.replace(state.pair, parameters=params))
        py, pool = _decode(state)
        for request in _amounts(rng, py):
            _same_swap(py, pool, *request)
        _same_pieces(py, pool)


def test_transfer_fee_epochs_and_caps() -> None:
    """Capped fees and an epoch switch between the older and the newer fee."""
    rng = random.Random(5)
    for i in range(6):
        state = sample_state(rng)
        older = TransferFee(epoch=0, maximum_fee=rng.choice((10, 10**6, U64_MAX)), basis_points=250)
        newer = TransferFee(
            epoch=state.epoch + (i % 2), maximum_fee=U64_MAX, basis_points=10_000 if i == 4 else 40
        )
        state = with_transfer_fee(state, i % 3 != 0, older, newer)
        py, pool = _decode(state)
        for request in _amounts(rng, py):
            _same_swap(py, pool, *request)
        _same_pieces(py, pool)


def test_same_tracks_quoting_state() -> None:
    rng = random.Random(9)
    state = sample_state(rng)
    _, pool = _decode(state)
    _, again = _decode(state)
    assert pool.same(again)
    moved = dataclasses.replace(
        state, pair=dataclasses.replace(state.pair, active_id=state.pair.active_id + 1)
    )
    assert not pool.same(_decode(moved)[1])
    later = dataclasses.replace(state, clock_unix_ts=state.clock_unix_ts + 10_000)
    if state.pair.v_parameters.volatility_reference:
        assert not pool.same(_decode(later)[1])


def test_transfer_hook_mint_declines() -> None:
    """A Token-2022 mint with a transfer hook: Python refuses the pool, native declines it."""
    rng = random.Random(13)
    state = with_transfer_fee(sample_state(rng), True, TransferFee(0, U64_MAX, 100))
    primary, deps, order = _accounts(state)
    raw = deps[state.mint_a]
    # Append a transfer-hook TLV entry (64-byte value) after the fee config.
    hook = EXT_TRANSFER_HOOK.to_bytes(2, "little") + (64).to_bytes(2, "little") + bytes(64)
    deps[state.mint_a] = dataclasses.replace(raw, data=raw.data + hook)
    try:
        VENUE.state(primary, deps)
    except UnsupportedPool:
        pass
    else:
        raise AssertionError("the reference accepted a transfer-hook mint")
    assert native_pool(KIND, primary, deps, order) is None
    args = (bytes(primary.pubkey), bytes(primary.owner), primary.data, primary.slot)
    assert solarb_native.decline_reason(KIND, args, native_deps(deps, order)) is not None


# -- decoder fuzz ---------------------------------------------------------------------------

# Offsets in the LbPair that a quote or a check reads: enums, fee parameters, active id,
# bin step, mints, bitmap, activation point, token program flags.
_PAIR_OFFSETS = (
    8,
    10,
    16,
    20,
    34,
    35,
    36,
    40,
    44,
    48,
    56,
    75,
    76,
    77,
    79,
    80,
    82,
    86,
    88,
    120,
    264,
    408,
    584,
    600,
    650,
    700,
    816,
    880,
    881,
)


def _flip(data: bytes, rng: random.Random, offsets: tuple[int, ...] = ()) -> bytes:
    buf = bytearray(data)
    if not buf:
        return data
    for _ in range(rng.randint(1, 3)):
        at = rng.choice(offsets) if offsets and rng.random() < 0.7 else rng.randrange(len(buf))
        if at < len(buf):
            buf[at] = rng.choice((0, 1, 2, 3, 4, 0xFF, rng.randrange(256)))
    return bytes(buf)


def _mutate(rng: random.Random, primary: RawAccount, deps: dict[Pubkey, RawAccount]) -> RawAccount:
    """One random corruption of the pair's accounts (deps edited in place)."""
    keys = list(deps)
    key = rng.choice(keys)
    raw = deps[key]
    choice = rng.randrange(9)
    if choice == 0:
        return dataclasses.replace(primary, data=_flip(primary.data, rng, _PAIR_OFFSETS))
    if choice == 1:
        # A second mutation may meet bytes the first cut to nothing.
        cut = rng.randrange(len(primary.data)) if primary.data else 0
        return dataclasses.replace(primary, data=primary.data[:cut])
    if choice == 2:
        return dataclasses.replace(
            primary, owner=rng.choice((TOKEN_2022_PROGRAM, Pubkey.default()))
        )
    if choice == 3:
        del deps[key]
    elif choice == 4:
        deps[key] = dataclasses.replace(
            raw, owner=rng.choice((TOKEN_2022_PROGRAM, primary.owner, Pubkey.default()))
        )
    elif choice == 5:
        cut = rng.randrange(len(raw.data) + 1)
        deps[key] = dataclasses.replace(
            raw, data=raw.data[:cut] + bytes(rng.choice((0, 0, 1, 83, 200)))
        )
    elif choice == 6:
        # Bin array headers (discriminator, index, lb_pair) and mint/clock fields.
        deps[key] = dataclasses.replace(
            raw, data=_flip(raw.data, rng, (0, 8, 9, 24, 40, 44, 45, 165, 166, 170, 241))
        )
    elif choice == 7:
        deps[key] = dataclasses.replace(raw, data=_flip(raw.data, rng))
    else:
        other = rng.choice(keys)
        deps[key] = dataclasses.replace(deps[other], pubkey=key)
    return primary


def _outcome(run: Callable[[], object]) -> object:
    try:
        return run()
    except VenueError as exc:
        return exc


def _check_fuzzed(
    rng: random.Random,
    primary: RawAccount,
    deps: Mapping[Pubkey, RawAccount],
    order: tuple[Pubkey, ...],
) -> str:
    py = _outcome(lambda: VENUE.state(primary, deps))
    nat = _outcome(lambda: native_pool(KIND, primary, deps, order))
    if isinstance(py, VenueError):
        # Python rejects: native rejects too, or leaves the pool to Python.
        assert nat is None or isinstance(nat, DecodeError), (py, nat)
        if isinstance(py, UnsupportedPool):
            assert nat is None, (py, nat)
        return "rejected"
    assert isinstance(py, DlmmState)
    assert not isinstance(nat, VenueError), (nat, "the reference decodes these bytes")
    if nat is None:
        return "declined"
    assert isinstance(nat, solarb_native.Pool)
    for request in _amounts(rng, py)[:8]:
        _same_swap(py, nat, *request)
    _same_pieces(py, nat)
    return "decoded"


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_decoder_fuzz(seed: int) -> None:
    rng = random.Random(seed)
    state = varied_state(rng) if rng.random() < 0.7 else _sim_state(rng)
    primary, deps, order = _accounts(state)
    for _ in range(rng.randint(1, 2)):
        primary = _mutate(rng, primary, deps)
    with contextlib.suppress(VenueError):
        order = VENUE.dependencies(primary)  # what the engine asks for the pair as it now reads
    _check_fuzzed(rng, primary, deps, order)


def test_decoder_fuzz_reaches_every_outcome() -> None:
    """The fuzz is not vacuous: some mutations decode, some are rejected."""
    rng = random.Random(17)
    seen: dict[str, int] = {}
    for _ in range(40):
        primary, deps, order = _accounts(varied_state(rng))
        primary = _mutate(rng, primary, deps)
        outcome = _check_fuzzed(rng, primary, deps, order)
        seen[outcome] = seen.get(outcome, 0) + 1
    assert seen.get("decoded", 0) >= 5, seen
    assert seen.get("rejected", 0) >= 5, seen


def test_active_array_outside_own_bitmap_declines() -> None:
    rng = random.Random(19)
    state = sample_state(rng)
    far = 520 * BINS_PER_ARRAY
    pair = dataclasses.replace(state.pair, active_id=far)
    primary, deps, order = _accounts(state)
    primary = dataclasses.replace(
        primary, data=VENUE.encode(dataclasses.replace(state, pair=pair))[0].data
    )
    try:
        VENUE.state(primary, deps)
    except UnsupportedPool:
        pass
    else:
        raise AssertionError("the reference accepted a pair beyond its own bitmap")
    assert native_pool(KIND, primary, deps, order) is None
