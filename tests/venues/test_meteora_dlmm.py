"""Meteora DLMM adapter: hand-derived golden vectors, round trips and decoder fuzz."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import random

import pytest
from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.domain.amounts import U64_MAX as U64
from solarb_runtime.venues.base import (
    AmountOutOfRange,
    DecodeError,
    QuoteError,
    VenueError,
    other_mint,
)
from solarb_runtime.venues.meteora_dlmm import DlmmState, MeteoraDlmm, MeteoraDlmmVenue
from solarb_runtime.venues.meteora_dlmm_layout import (
    BIN_FIELDS,
    BIN_LEN,
    BINS_PER_ARRAY,
    LB_PAIR_DISCRIMINATOR,
    PROGRAM_ID,
    Bin,
    BinArray,
    StaticParameters,
    bin_array_pda,
    decode_bin_array,
    decode_lb_pair,
    encode_lb_pair,
    pack_bin,
)
from solarb_runtime.venues.meteora_dlmm_math import (
    MAX_FEE_RATE,
    BinLiquidity,
    base_fee_rate,
    bin_exact_in,
    bin_exact_out,
    price_from_id,
    swap,
)
from solarb_runtime.venues.meteora_dlmm_samples import sample_request, sample_state, varied_state

POOL = Pubkey.new_unique()
U128_MAX = (1 << 128) - 1


# The program's fee rate at one volatility accumulator (the venue inlines it per bin).


def variable_fee_rate(p: StaticParameters, bin_step: int, volatility_accumulator: int) -> int:
    if p.variable_fee_control == 0:
        return 0
    square = (volatility_accumulator * bin_step) ** 2
    return (p.variable_fee_control * square + 99_999_999_999) // 100_000_000_000


def total_fee_rate(p: StaticParameters, bin_step: int, volatility_accumulator: int) -> int:
    """Fee rate in 1e-9 units, capped at MAX_FEE_RATE (10%)."""
    rate = base_fee_rate(p, bin_step) + variable_fee_rate(p, bin_step, volatility_accumulator)
    return min(rate, MAX_FEE_RATE)


def _params(vfc: int = 0) -> StaticParameters:
    return StaticParameters(
        10000, 30, 600, 5000, vfc, 350000, -443636, 443636, 0, 0, "undetermined", "input-only"
    )


def test_price_golden() -> None:
    # id 0 is exactly 1.0; for id 1 the program inverts base = 2^64 + floor(2^64*10/1e4)
    # (base >= 1), multiplies once, and inverts back: U128_MAX // (U128_MAX // base).
    assert price_from_id(0, 10) == 1 << 64
    base = (1 << 64) + ((10 << 64) // 10_000)
    assert price_from_id(1, 10) == U128_MAX // (U128_MAX // base)
    assert price_from_id(-1, 10) == U128_MAX // base


def test_fee_rate_golden() -> None:
    # base = 10000 * 10 * 10 = 1e6 (0.1%); variable = ceil(40000 * (10000*10)^2 / 1e11) = 4000.
    assert total_fee_rate(_params(40000), 10, 10000) == 1_004_000
    assert total_fee_rate(_params(0), 10, 10000) == 1_000_000


def test_bin_exact_in_rounding_edges() -> None:
    liq = BinLiquidity(price=1 << 64, mm=1_000_000, processed=0, open=0)
    kw = {
        "rate": 1_000_000,
        "protocol_share": 0,
        "swap_for_y": True,
        "charge_input": True,
        "pool": POOL,
    }
    # 1000 in: fee ceil(1000 * 1e6 / 1e9) = 1, 999 swapped at price 1 -> 999 out.
    f = bin_exact_in(liq, 0, 1000, **kw)  # type: ignore[arg-type]
    assert (f.amount_in, f.amount_out, f.fee) == (1000, 999, 1)
    # 1001 in: fee ceil(1.001) = 2 -> still 999 out (rounding favours the pool).
    f = bin_exact_in(liq, 0, 1001, **kw)  # type: ignore[arg-type]
    assert (f.amount_out, f.fee) == (999, 2)
    # Exact out 999: 999 in + fee ceil(999e6 / 999e6) = 1 -> 1000 in.
    f = bin_exact_out(liq, 0, 999, **kw)  # type: ignore[arg-type]
    assert (f.amount_in, f.amount_out, f.fee) == (1000, 999, 1)
    # Draining a 500-atom bin: 500 + ceil(500e6 / 999e6) = 501 taken, the rest left over.
    small = BinLiquidity(price=1 << 64, mm=500, processed=0, open=0)
    f = bin_exact_in(small, 0, 10_000, **kw)  # type: ignore[arg-type]
    assert (f.amount_in, f.amount_out, f.fee) == (501, 500, 1)


def test_round_trips_and_apply() -> None:
    rng = random.Random(11)
    for _ in range(40):
        state = sample_state(rng)
        primary, deps = MeteoraDlmm.encode(state)
        assert MeteoraDlmm.state(primary, deps) == state
        doc = json.loads(json.dumps(MeteoraDlmm.state_to_json(state)))
        assert MeteoraDlmm.state_from_json(doc) == state
        mint_in, amount, exact_in = sample_request(rng, state)
        quote = (MeteoraDlmm.quote_exact_in if exact_in else MeteoraDlmm.quote_exact_out)(
            state, mint_in, amount
        )
        assert quote.amount_in > 0
        assert quote.amount_out > 0
        after = MeteoraDlmm.apply(state, quote)
        p2, d2 = MeteoraDlmm.encode(after)
        assert MeteoraDlmm.state(p2, d2) == after
        assert after.pair.v_parameters.last_update_timestamp == state.clock_unix_ts


def test_decoder_fuzz_raises_only_typed_errors() -> None:
    rng = random.Random(5)
    state = sample_state(rng)
    primary, deps = MeteoraDlmm.encode(state)
    array_raw = next(r for r in deps.values() if r.owner == PROGRAM_ID)
    for raw, decode in ((primary, decode_lb_pair), (array_raw, decode_bin_array)):
        for _ in range(300):
            data = bytearray(raw.data)
            choice = rng.random()
            if choice < 0.3:
                data = data[: rng.randrange(len(data))]
            elif choice < 0.9:
                for _ in range(rng.randint(1, 8)):
                    data[rng.randrange(len(data))] = rng.randrange(256)
            else:
                data = bytearray(rng.randbytes(len(data)))
            mutated = RawAccount(raw.pubkey, raw.owner, bytes(data))
            with contextlib.suppress(VenueError):
                decode(mutated)
    with pytest.raises(VenueError, match="owner"):
        decode_lb_pair(RawAccount(primary.pubkey, Pubkey.new_unique(), primary.data))
    with pytest.raises(VenueError, match="discriminator"):
        decode_lb_pair(RawAccount(primary.pubkey, PROGRAM_ID, bytes(8) + primary.data[8:]))
    assert primary.data[:8] == LB_PAIR_DISCRIMINATOR


def test_swap_instruction_layout() -> None:
    state = sample_state(random.Random(3))
    owner, src, dst = Pubkey.new_unique(), Pubkey.new_unique(), Pubkey.new_unique()
    ix = MeteoraDlmm.swap_instruction(
        state,
        owner=owner,
        mint_in=state.mint_a,
        amount=1000,
        other_amount_threshold=990,
        exact_in=True,
        source=src,
        destination=dst,
    )
    # swap2: discriminator, amount_in, min_amount_out, RemainingAccountsInfo (2 empty slices).
    assert ix.data == bytes([65, 75, 63, 76, 235, 91, 91, 136]) + (1000).to_bytes(8, "little") + (
        990
    ).to_bytes(8, "little") + bytes([2, 0, 0, 0, 0, 0, 1, 0])
    keys = [m.pubkey for m in ix.accounts]
    assert keys[0] == state.address
    assert (keys[4], keys[5]) == (src, dst)
    assert keys[10] == owner
    assert ix.accounts[10].is_signer
    # X->Y walks down: arrays at or below the active one, nearest first.
    arrays = [
        a.address for a in reversed(state.bin_arrays) if a.index <= state.pair.active_id // 70
    ]
    assert keys[16:] == arrays


def test_price_past_range_is_a_typed_error() -> None:
    # With bin step 100 the program's Q64.64 pow underflows past |id| ~4460 (1.01^4500 >
    # 2^64): a bin there with no stored price cannot be swapped, nor priced.
    state = sample_state(random.Random(8))
    bin_id = 4500
    index = bin_id // BINS_PER_ARRAY
    with pytest.raises(ArithmeticError):
        price_from_id(bin_id, 100)
    buf = bytearray(BINS_PER_ARRAY * BIN_LEN)
    offset = (bin_id - index * BINS_PER_ARRAY) * BIN_LEN
    fields = dict.fromkeys(BIN_FIELDS, 0)
    fields.update(amount_x=10**9, amount_y=10**9)
    buf[offset : offset + BIN_LEN] = pack_bin(Bin(**fields))
    array = BinArray(
        address=bin_array_pda(state.address, index),
        index=index,
        version=1,
        lb_pair=state.address,
        bins=bytes(buf),
    )
    pair = dataclasses.replace(
        state.pair, bin_step=100, active_id=bin_id, bin_array_bitmap=1 << (index + 512)
    )
    state = dataclasses.replace(state, pair=pair, bin_arrays=(array,))
    for mint_in in (state.mint_a, state.mint_b):
        with pytest.raises(AmountOutOfRange, match="out of the price range"):
            MeteoraDlmm.quote_exact_in(state, mint_in, 1000)
    with pytest.raises(AmountOutOfRange, match="out of the price range"):
        MeteoraDlmm.mid_price(state)


def _reference_quote(state: DlmmState, mint_in: Pubkey, amount: int, exact_in: bool) -> object:
    """The quote (or the error) built the slow way: `swap` with its per-bin fills."""
    try:
        other_mint(state, mint_in)
        if not 0 < amount <= U64:
            raise AmountOutOfRange(state.address, f"amount {amount} is not in 1..u64::MAX")
        if state.pair.status != "enabled":
            raise QuoteError(state.address, "pair is disabled")
        swap_for_y = mint_in == state.mint_a
        fx = state.mint_x.transfer_fee(state.epoch)
        fy = state.mint_y.transfer_fee(state.epoch)
        fee_in, fee_out = (fx, fy) if swap_for_y else (fy, fx)
        arrays = {a.index: a for a in state.bin_arrays}
        kw = {"now": state.clock_unix_ts, "swap_for_y": swap_for_y, "exact_in": exact_in}
        if exact_in:
            into = amount - fee_in.fee(amount)
            if into == 0:
                raise AmountOutOfRange(state.address, "nothing reaches the pool after transfer fee")
            r = swap(state.pair, arrays, state.address, amount=into, **kw)  # type: ignore[arg-type]
            got = (amount, r.amount_out - fee_out.fee(r.amount_out))
        else:
            pool_out = amount + fee_out.inverse_fee(amount)
            r = swap(state.pair, arrays, state.address, amount=pool_out, **kw)  # type: ignore[arg-type]
            paid = r.amount_in + fee_in.inverse_fee(r.amount_in)
            if paid > U64:
                raise AmountOutOfRange(state.address, f"amount in {paid} overflows u64")
            got = (paid, amount)
        return (*got, r.fee, len(r.fills))
    except QuoteError as exc:
        return (type(exc), str(exc))


def test_fast_quotes_match_the_fill_by_fill_swap() -> None:
    # Quotes take a fast path (`swap_totals` on a cached per-state setup); `swap` keeps the
    # per-bin fills for `apply`. Both must agree to the atom, errors included.
    rng = random.Random(17)
    compared = errors = 0
    for _ in range(60):
        state = varied_state(rng)
        for _ in range(15):
            mint_in, amount, exact_in = sample_request(rng, state)
            amount = max(1, int(amount * 10 ** rng.uniform(-6, 2.5)))
            if rng.random() < 0.05:
                amount = rng.choice((0, U64, U64 + 1))
            fn = MeteoraDlmm.quote_exact_in if exact_in else MeteoraDlmm.quote_exact_out
            try:
                q = fn(state, mint_in, amount)
                got: object = (q.amount_in, q.amount_out, q.fee, q.steps)
            except QuoteError as exc:
                got = (type(exc), str(exc))
                errors += 1
            assert got == _reference_quote(state, mint_in, amount, exact_in)
            compared += 1
        # Around where the first bins drain (the exact boundary lies within 4.5 atoms per
        # bin of the model's), where the fill switches from partial to whole.
        for mint_in in (state.mint_a, state.mint_b):
            pieces = MeteoraDlmm.curve(state, mint_in).pieces
            for k, piece in enumerate(pieces[:3], start=1):
                for amount in range(int(piece.x1) - 2, int(piece.x1) + 6 * k + 2):
                    q = MeteoraDlmm.quote_exact_in(state, mint_in, amount)
                    got = (q.amount_in, q.amount_out, q.fee, q.steps)
                    assert got == _reference_quote(state, mint_in, amount, True)
                    q = MeteoraDlmm.quote_exact_out(state, mint_in, q.amount_out)
                    got = (q.amount_in, q.amount_out, q.fee, q.steps)
                    assert got == _reference_quote(state, mint_in, q.amount_out, False)
    assert compared == 900
    assert 20 < errors < 600


def _with_bin(state: DlmmState, bin_id: int, **fields: int) -> DlmmState:
    """The state with some fields of one bin changed."""
    arrays = []
    for array in state.bin_arrays:
        if array.lower_bin_id <= bin_id < array.lower_bin_id + BINS_PER_ARRAY:
            buf = bytearray(array.bins)
            start = (bin_id - array.lower_bin_id) * BIN_LEN
            edited = dataclasses.replace(array.bin(bin_id), **fields)
            buf[start : start + BIN_LEN] = pack_bin(edited)
            arrays.append(dataclasses.replace(array, bins=bytes(buf)))
        else:
            arrays.append(array)
    return dataclasses.replace(state, bin_arrays=tuple(arrays))


def test_decode_memo_never_serves_stale_or_hides_bad_accounts() -> None:
    venue = MeteoraDlmmVenue(memo_size=3)  # small: evictions happen too
    state = sample_state(random.Random(31))
    primary, deps = MeteoraDlmm.encode(state)
    assert venue.state(primary, deps) == state
    assert venue.dependencies(primary) == MeteoraDlmm.dependencies(primary)
    # One bin array changes: the new bytes are decoded, the rest come from the memo.
    changed = _with_bin(state, state.pair.active_id - 1, amount_y=12345)
    _, changed_deps = MeteoraDlmm.encode(changed)
    key = next(k for k, r in changed_deps.items() if r.data != deps[k].data)
    deps2 = {**deps, key: changed_deps[key]}
    assert venue.state(primary, deps2) == changed
    # A corrupt update after a good one raises, naming what is wrong, every time.
    bad = bytearray(deps2[key].data)
    bad[:8] = bytes(8)
    bad_deps = {**deps2, key: RawAccount(key, PROGRAM_ID, bytes(bad))}
    for _ in range(2):
        with pytest.raises(DecodeError, match="discriminator"):
            venue.state(primary, bad_deps)
    # Same bytes from another owner are not the same account.
    foreign = {**deps2, key: RawAccount(key, Pubkey.new_unique(), deps2[key].data)}
    assert venue.state(primary, foreign).bin_arrays != changed.bin_arrays
    # The pair: a good update is reflected, a bad status byte is named.
    moved = dataclasses.replace(state.pair, active_id=state.pair.active_id - 1)
    moved_primary = RawAccount(primary.pubkey, PROGRAM_ID, encode_lb_pair(moved))
    assert venue.state(moved_primary, deps2).pair == moved
    corrupt = bytearray(moved_primary.data)
    # status: after the discriminator, both parameter blocks (64), bump, bin_step_seed,
    # pair_type, active_id and bin_step (1 + 2 + 1 + 4 + 2).
    corrupt[8 + 64 + 10] = 7
    with pytest.raises(DecodeError, match="status 7"):
        venue.state(RawAccount(primary.pubkey, PROGRAM_ID, bytes(corrupt)), deps2)
    # A pair first seen corrupt is named by `dependencies` too (a known pair's list comes
    # from its mints, active bin and bitmap alone; `state` still refuses the bytes).
    with pytest.raises(DecodeError, match="status 7"):
        MeteoraDlmmVenue().dependencies(RawAccount(primary.pubkey, PROGRAM_ID, bytes(corrupt)))
    # And back to the original bytes: the original state, not a cached later one.
    assert venue.state(primary, deps) == state
