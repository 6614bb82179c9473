"""Meteora DLMM leg model: `curve` against the exact integer quote.

Tolerance, derived from where the program rounds (always in the pool's favour, so the
model is an upper bound of the exact output). In pool-input atoms the exact swap falls
behind the model by less than:

* 1 for the input transfer fee (ceil);
* per bin fully crossed: L for the per-layer `max_in` ceilings (L <= 3 layers: market
  maker, processed and open limit orders) grossed up by the fee, L/(1-f) < 3/0.9, plus 1
  for the fee's ceiling: < 4.34, call it 4.5;
* in the last, partly filled bin: 1 for the fee's ceiling plus L for drained layers: 4.

That shortfall costs at most the steepest pool-side rate met so far (piece slope / keep_in)
output atoms per atom. In output atoms the exact swap loses less than L flooring the last
bin's layers, 1 per bin for the fee charged on output (`only-y`), 1 for that fee on the
last bin and 1 for the output transfer fee: 5 + crossed. Floats add ~1e-12 relative.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from solarb_runtime.domain.amounts import U64_MAX
from solarb_runtime.venues.base import (
    AmountOutOfRange,
    InsufficientLiquidity,
    OutOfSuppliedRange,
    QuoteError,
)
from solarb_runtime.venues.curve import LegCurve
from solarb_runtime.venues.meteora_dlmm import DlmmState, MeteoraDlmm
from solarb_runtime.venues.meteora_dlmm_curve import leg_curve
from solarb_runtime.venues.meteora_dlmm_layout import BIN_LEN, BINS_PER_ARRAY, pack_bin
from solarb_runtime.venues.meteora_dlmm_samples import (
    sample_state,
    varied_state,
    with_transfer_fee,
)
from solarb_runtime.venues.token import TransferFee

_RAN_OUT = (InsufficientLiquidity, OutOfSuppliedRange)


def _keep_in(state: DlmmState, mint_in: Pubkey) -> float:
    mint = state.mint_x if mint_in == state.mint_a else state.mint_y
    return 1.0 - mint.transfer_fee(state.epoch).basis_points / 10_000


def _tolerance(state: DlmmState, mint_in: Pubkey, curve: LegCurve, x: float) -> float:
    """How far below the model the exact output may be at input `x` (module doc)."""
    last = curve.index(x)
    crossed = sum(1 for p in curve.pieces[: last + 1] if p.x1 <= x)
    steepest = max(p.a / p.b for p in curve.pieces[: last + 1]) / _keep_in(state, mint_in)
    slack_in = 1 + 4.5 * crossed + 4
    slack_out = 5 + crossed
    return slack_in * steepest + slack_out + 1e-12 * (curve.out(x) + x * steepest)


def _sizes(rng: random.Random, curve: LegCurve, n: int) -> list[int]:
    """Sizes over the whole range: log-uniform, and just around piece boundaries."""
    cap = min(curve.capacity, float(U64_MAX))
    sizes = [cap * math.exp(rng.uniform(math.log(1e-9), 0.0)) for _ in range(n)]
    for _ in range(n // 2):
        edge = rng.choice(curve.pieces).x1
        sizes.append(edge + rng.uniform(-3.0, 3.0) * max(1.0, edge * 1e-12))
    return sorted({min(U64_MAX, int(s)) for s in sizes if 1.0 <= s <= cap * (1 - 1e-12)})


def _check_against_exact(state: DlmmState, mint_in: Pubkey, rng: random.Random, n: int) -> int:
    """Assert model >= exact >= model - tolerance over `n`-ish sizes; how many were checked."""
    curve = MeteoraDlmm.curve(state, mint_in)
    checked = 0
    for amount in _sizes(rng, curve, n):
        try:
            exact = MeteoraDlmm.quote_exact_in(state, mint_in, amount).amount_out
        except AmountOutOfRange:
            continue  # e.g. 1 atom entirely eaten by the transfer fee
        model = curve.out(float(amount))
        tol = _tolerance(state, mint_in, curve, float(amount))
        assert exact <= model + 1e-12 * model + 1e-6, (amount, exact, model)
        assert exact >= model - tol, (amount, exact, model, tol)
        checked += 1
    return checked


def _varied_legs(rng: random.Random, states: int) -> Iterator[tuple[DlmmState, Pubkey]]:
    """Both directions of `states` varied pairs, drawn from `rng` as the caller goes."""
    for _ in range(states):
        state = varied_state(rng)
        for mint_in in (state.mint_a, state.mint_b):
            yield state, mint_in


def test_model_matches_exact_quotes_over_random_states() -> None:
    rng = random.Random(20250601)
    checked = 0
    for state, mint_in in _varied_legs(rng, 60):
        checked += _check_against_exact(state, mint_in, rng, 12)
    assert checked > 1000


def test_variable_fee_is_per_bin() -> None:
    # A steep variable fee: 4000e-9 per (distance in bins)^2 at bin step 10, so a wrong
    # (start-of-swap) rate would be off by ~0.4% 30 bins out, far past the tolerance.
    rng = random.Random(7)
    state = sample_state(rng)
    while state.pair.bin_step != 10:
        state = sample_state(rng)
    v = dataclasses.replace(
        state.pair.v_parameters, volatility_reference=0, index_reference=state.pair.active_id
    )
    # Within the filter period: the references stay, so bin k out has accumulator 10^4·k.
    pair = dataclasses.replace(state.pair, v_parameters=v)
    state = dataclasses.replace(state, pair=pair, clock_unix_ts=v.last_update_timestamp)
    for mint_in in (state.mint_a, state.mint_b):
        curve = leg_curve(state, mint_in)
        rates = [p.a for p in curve.pieces[:40]]
        assert rates == sorted(rates, reverse=True)
        assert _check_against_exact(state, mint_in, rng, 30) > 10


def test_marginal_is_the_models_derivative() -> None:
    rng = random.Random(3)
    for state, mint_in in _varied_legs(rng, 20):
        curve = leg_curve(state, mint_in)
        for piece in rng.sample(curve.pieces, min(10, len(curve.pieces))):
            width = piece.x1 - piece.x0
            x = piece.x0 + width * rng.uniform(0.2, 0.8)
            h = width * 1e-4
            slope = (curve.out(x + h) - curve.out(x - h)) / (2 * h)
            assert curve.marginal(x) == pytest.approx(slope, rel=1e-6)
        assert curve.marginal(curve.capacity) == 0.0


def test_capacity_is_where_the_exact_quote_runs_out() -> None:
    rng = random.Random(9)
    for state, mint_in in _varied_legs(rng, 30):
        curve = leg_curve(state, mint_in)
        cap = curve.capacity
        assert 0 < cap <= float(U64_MAX)
        below = int(cap * (1 - 1e-12))
        assert MeteoraDlmm.quote_exact_in(state, mint_in, below).amount_out > 0
        # The exact swap needs at most (1 + 4.5 per bin) / keep_in pool atoms more.
        slack = (1 + 4.5 * len(curve.pieces)) / _keep_in(state, mint_in)
        beyond = int(cap * (1 + 1e-12) + slack) + 1
        if beyond > U64_MAX:
            with pytest.raises(AmountOutOfRange):
                MeteoraDlmm.quote_exact_in(state, mint_in, beyond)
        else:
            with pytest.raises(_RAN_OUT):
                MeteoraDlmm.quote_exact_in(state, mint_in, beyond)
        assert curve.out(cap * 2) == curve.out(cap)


def _drained(state: DlmmState, of_y: bool) -> DlmmState:
    """The state with every bin's X (or Y) reserve emptied."""
    arrays = []
    for array in state.bin_arrays:
        buf = bytearray(array.bins)
        for i in range(BINS_PER_ARRAY):
            b = array.bin(array.lower_bin_id + i)
            b = dataclasses.replace(b, amount_y=0) if of_y else dataclasses.replace(b, amount_x=0)
            buf[i * BIN_LEN : (i + 1) * BIN_LEN] = pack_bin(b)
        arrays.append(dataclasses.replace(array, bins=bytes(buf)))
    return dataclasses.replace(state, bin_arrays=tuple(arrays))


def test_no_liquidity_gives_an_empty_curve() -> None:
    state = sample_state(random.Random(4))
    for of_y, mint_in in ((True, state.mint_a), (False, state.mint_b)):
        empty = _drained(state, of_y)
        curve = MeteoraDlmm.curve(empty, mint_in)
        assert curve.capacity == 0.0
        assert curve.out(1e9) == 0.0
        with pytest.raises(_RAN_OUT):
            MeteoraDlmm.quote_exact_in(empty, mint_in, 1000)
        # The other direction still has its side of the liquidity.
        other = empty.mint_b if mint_in == empty.mint_a else empty.mint_a
        assert MeteoraDlmm.curve(empty, other).capacity > 0
    disabled = dataclasses.replace(state, pair=dataclasses.replace(state.pair, status="disabled"))
    assert leg_curve(disabled, state.mint_a).capacity == 0.0
    with pytest.raises(QuoteError):
        MeteoraDlmm.quote_exact_in(disabled, state.mint_a, 1000)
    with pytest.raises(QuoteError):
        leg_curve(state, Pubkey.new_unique())


def test_missing_bin_array_ends_the_curve() -> None:
    state = sample_state(random.Random(12))
    active_index = state.pair.active_id // BINS_PER_ARRAY
    below = tuple(a for a in state.bin_arrays if a.index >= active_index)
    cut = dataclasses.replace(state, bin_arrays=below)
    full = leg_curve(state, state.mint_a)
    short = leg_curve(cut, state.mint_a)
    assert 0 < short.capacity < full.capacity
    assert short.pieces == full.pieces[: len(short.pieces)]
    with pytest.raises(OutOfSuppliedRange):
        MeteoraDlmm.quote_exact_in(cut, state.mint_a, int(short.capacity * 1.01) + 100)


def test_capped_transfer_fee_makes_the_model_conservative() -> None:
    # The cap is not modelled: once it binds, more reaches the pool than the model says.
    state = sample_state(random.Random(21))
    capped = with_transfer_fee(state, True, TransferFee(0, maximum_fee=10, basis_points=500))
    curve = leg_curve(capped, capped.mint_a)
    amount = int(curve.capacity * 0.01)
    exact = MeteoraDlmm.quote_exact_in(capped, capped.mint_a, amount).amount_out
    assert exact > curve.out(float(amount)) * 1.04


def test_curve_is_cached_per_state_and_direction() -> None:
    state = sample_state(random.Random(5))
    a = MeteoraDlmm.curve(state, state.mint_a)
    assert MeteoraDlmm.curve(state, state.mint_a) is a
    assert MeteoraDlmm.curve(state, state.mint_b) is not a
    assert MeteoraDlmm.curve(state, state.mint_b).pieces == leg_curve(state, state.mint_b).pieces
    moved = dataclasses.replace(state, clock_unix_ts=state.clock_unix_ts + 10_000)
    assert MeteoraDlmm.curve(moved, moved.mint_a).pieces == leg_curve(moved, moved.mint_a).pieces


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    x_to_y=st.booleans(),
    fraction=st.floats(1e-9, 1.0, exclude_max=True),
)
def test_model_bounds_exact_quote_property(seed: int, x_to_y: bool, fraction: float) -> None:
    state = varied_state(random.Random(seed))
    mint_in = state.mint_a if x_to_y else state.mint_b
    curve = leg_curve(state, mint_in)
    amount = min(U64_MAX, int(curve.capacity * fraction * (1 - 1e-12)))
    if amount < 1:
        return
    try:
        exact = MeteoraDlmm.quote_exact_in(state, mint_in, amount).amount_out
    except AmountOutOfRange:
        assert amount * (1 - 0.1) < 2  # only a dust amount the transfer fee eats
        return
    model = curve.out(float(amount))
    assert model - _tolerance(state, mint_in, curve, float(amount)) <= exact
    assert exact <= model * (1 + 1e-12) + 1e-6
