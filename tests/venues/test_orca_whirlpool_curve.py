"""Orca Whirlpool leg model against the exact quote.

The tolerance is derived from where the program rounds (always in the pool's favour, so
the model is an upper bound of the exact output up to float error):

* input side, in atoms reaching the pool: the input transfer fee is rounded up (≤ 1),
  the final step's fee-excluded amount is rounded down (≤ 1), and each range fully
  crossed costs its rounded-up amount plus a rounded-up fee (≤ 2 per range). An input
  shortfall of e pool atoms is e / k user atoms (k = k_in·k_fee), worth at most
  marginal(0) · e / k output atoms (the model's marginal never rises with x: it is the
  price, which only worsens);
* output side: every step's output is rounded down (≤ 1 atom), the output transfer fee
  up (≤ 1), and the partial step's sqrt price is rounded by one Q64.64 unit, worth
  L / 2^64 atoms of B (A→B) or L·2^64 / (p·p') atoms of A (B→A);
* float error: 1e-11 of the output (the model sums ~10 pieces of ~1e-16 error each).

With n = pieces the model crosses up to x (its index at x) and s = n + 1 steps:
tol(x) = s·(1 + q) + 1 + marginal(0)·(2s + 1) / k + 1e-11·out(x).
Transfer-fee caps are not modelled, so the states here have uncapped transfer fees.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace

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
from solarb_runtime.venues.orca_whirlpool import VENUE, WhirlpoolState
from solarb_runtime.venues.orca_whirlpool_layout import ZERO_TICK, swap_path
from solarb_runtime.venues.orca_whirlpool_math import (
    FEE_RATE_MUL_VALUE,
    MAX_FEE_RATE,
    MAX_PROTOCOL_FEE_RATE,
)
from solarb_runtime.venues.orca_whirlpool_samples import sample_state
from solarb_runtime.venues.token import MintInfo, TransferFee

_Q64 = float(1 << 64)
_FLOAT_REL = 1e-11


def _uncapped(info: MintInfo, bps: int) -> MintInfo:
    fee = TransferFee(epoch=0, maximum_fee=U64_MAX, basis_points=bps)
    return replace(info, older_fee=fee, newer_fee=fee)


def _random_state(rng: random.Random) -> WhirlpoolState:
    """A sample pool with random trade/protocol/transfer fees and, sometimes, liquidity."""
    state = sample_state(rng)
    bps_a = rng.choice([0, 0, rng.randint(1, 2_000)])
    bps_b = rng.choice([0, 0, rng.randint(1, 2_000)])
    changes: dict[str, object] = {
        "fee_rate": rng.choice([state.fee_rate, rng.randint(0, MAX_FEE_RATE)]),
        "protocol_fee_rate": rng.randint(0, MAX_PROTOCOL_FEE_RATE),
        "mint_info_a": _uncapped(state.mint_info_a, bps_a),
        "mint_info_b": _uncapped(state.mint_info_b, bps_b),
    }
    if rng.random() < 0.2:
        # Rescaled liquidity: crossings may now underflow, where the program fails.
        changes["liquidity"] = int(state.liquidity * rng.uniform(0.0, 3.0))
    return replace(state, **changes)  # type: ignore[arg-type]


def _tolerance(state: WhirlpoolState, mint_in: Pubkey, curve: LegCurve, x: float) -> float:
    a_to_b = mint_in == state.mint_a
    path = swap_path(state, a_to_b)
    k = (1 - path.fee_in.basis_points / 1e4) * (FEE_RATE_MUL_VALUE - state.fee_rate) / 1e6
    steps = curve.index(x) + 1
    # Largest liquidity on the path, and the price quantum's worth in output atoms.
    most_l = float(state.liquidity)
    liquidity = state.liquidity
    for _target, _price, delta, *_ in path.hops:
        liquidity += delta or 0
        most_l = max(most_l, float(liquidity))
    price = state.sqrt_price / _Q64
    quantum = most_l / _Q64 if a_to_b else most_l / (price * price * _Q64)
    return (
        steps * (1 + quantum)
        + 1
        + curve.marginal(0.0) * (2 * steps + 1) / k
        + _FLOAT_REL * curve.out(x)
    )


def _check_size(state: WhirlpoolState, mint_in: Pubkey, curve: LegCurve, x: int) -> None:
    """The model's out(x) bounds the exact output from above, within the tolerance."""
    model = curve.out(float(x))
    tol = _tolerance(state, mint_in, curve, float(x))
    try:
        exact = VENUE.quote_exact_in(state, mint_in, x).amount_out
    except InsufficientLiquidity:
        exact = 0  # x atoms buy nothing: the model must say "next to nothing" too
    assert exact <= model * (1 + _FLOAT_REL) + 1e-9, (x, model, exact)
    assert model - exact <= tol, (x, model, exact, tol)


def _check_capacity(state: WhirlpoolState, mint_in: Pubkey, curve: LegCurve) -> None:
    cap = curve.capacity
    assert math.isfinite(cap)
    assert cap <= U64_MAX
    if cap < 1:
        return
    a_to_b = mint_in == state.mint_a
    path = swap_path(state, a_to_b)
    k = (1 - path.fee_in.basis_points / 1e4) * (FEE_RATE_MUL_VALUE - state.fee_rate) / 1e6
    # The exact swap needs at most (2 per range + 2) more pool atoms than the model.
    slack = (2 * len(curve.pieces) + 3) / k + _FLOAT_REL * cap + 1
    inside = math.floor(cap - slack)
    if inside >= 1:
        _check_size(state, mint_in, curve, inside)
    beyond = math.ceil(cap + slack)
    most = curve.out(cap)
    for x in (beyond, math.ceil(cap) + 1):
        if x > U64_MAX:
            continue
        try:
            exact = VENUE.quote_exact_in(state, mint_in, x).amount_out
        except (OutOfSuppliedRange, AmountOutOfRange, InsufficientLiquidity):
            continue
        assert exact <= most * (1 + _FLOAT_REL) + 1e-9, (x, most, exact)


def _check_marginal(curve: LegCurve, rng: random.Random) -> None:
    for piece in curve.pieces:
        width = piece.x1 - piece.x0
        if width <= 1e-3 * max(1.0, piece.x0):
            continue  # too thin for a finite difference in floats
        x = piece.x0 + width * rng.uniform(0.2, 0.8)
        h = width * 1e-5
        slope = (curve.out(x + h) - curve.out(x - h)) / (2 * h)
        assert math.isclose(curve.marginal(x), slope, rel_tol=1e-5), (x, slope)
    assert curve.marginal(curve.capacity) == 0.0


def _check_state(state: WhirlpoolState, rng: random.Random, sizes: int) -> None:
    for mint_in in (state.mint_a, state.mint_b):
        curve = VENUE.curve(state, mint_in)
        assert curve is VENUE.curve(state, mint_in)  # cached per state and direction
        cap = curve.capacity
        for _ in range(sizes):
            # Log-uniform over the whole range, plus uniform draws near the far end.
            frac = 10 ** rng.uniform(-9, 0) if rng.random() < 0.6 else rng.random()
            x = int(cap * frac)
            if x >= 1:
                _check_size(state, mint_in, curve, x)
        _check_capacity(state, mint_in, curve)
        _check_marginal(curve, rng)


def test_model_matches_exact_quotes_over_random_states() -> None:
    rng = random.Random(20_261_123)
    for _ in range(150):
        _check_state(_random_state(rng), rng, sizes=12)


def test_model_crosses_ranges_in_both_directions() -> None:
    """The random states do cross ranges: most curves have several pieces."""
    rng = random.Random(7)
    counts = [
        len(VENUE.curve(state, mint).pieces)
        for state in (_random_state(rng) for _ in range(40))
        for mint in (state.mint_a, state.mint_b)
    ]
    assert sum(c >= 3 for c in counts) >= len(counts) // 2


@settings(max_examples=80, deadline=None)
@given(st.integers(min_value=0, max_value=2**32), st.floats(min_value=0.0, max_value=1.0))
def test_model_property(seed: int, frac: float) -> None:
    rng = random.Random(seed)
    state = _random_state(rng)
    mint_in = state.mint_a if rng.random() < 0.5 else state.mint_b
    curve = VENUE.curve(state, mint_in)
    x = int(curve.capacity * frac)
    if x >= 1:
        _check_size(state, mint_in, curve, x)
    else:
        assert curve.out(float(x)) <= _tolerance(state, mint_in, curve, float(x))


def _no_ticks(state: WhirlpoolState) -> WhirlpoolState:
    arrays = tuple(replace(a, ticks=(ZERO_TICK,) * len(a.ticks)) for a in state.tick_arrays)
    return replace(state, tick_arrays=arrays)


def test_no_liquidity_gives_an_empty_curve() -> None:
    rng = random.Random(11)
    for _ in range(10):
        state = replace(_no_ticks(sample_state(rng)), liquidity=0)
        for mint_in in (state.mint_a, state.mint_b):
            curve = VENUE.curve(state, mint_in)
            assert curve.capacity == 0.0
            assert curve.out(1e12) == 0.0
            try:
                VENUE.quote_exact_in(state, mint_in, 10**6)
            except QuoteError:
                continue
            raise AssertionError("a pool without liquidity filled a quote")


def test_liquidity_on_one_side_only() -> None:
    """Liquidity that ends at the current tick: one direction is dry, the other is not."""
    rng = random.Random(12)
    state = _no_ticks(sample_state(rng))
    first = state.sequence_a_to_b[0]
    spacing = state.tick_spacing
    # An initialised tick at the current range's lower edge that a→b crossing removes.
    lower = state.tick_current_index - state.tick_current_index % spacing
    offset = (lower - first.start_tick_index) // spacing
    tick = replace(ZERO_TICK, initialized=True, liquidity_net=state.liquidity)
    ticks = list(first.ticks)
    ticks[offset] = tick
    arrays = tuple(replace(a, ticks=tuple(ticks)) if a is first else a for a in state.tick_arrays)
    state = replace(state, tick_arrays=arrays)
    down = VENUE.curve(state, state.mint_a)
    assert len(down.pieces) == 1  # only the range down to `lower`, then no liquidity
    _check_capacity(state, state.mint_a, down)
    up = VENUE.curve(state, state.mint_b)
    assert up.capacity > 0
    _check_state(state, rng, sizes=5)


def test_model_is_a_curve_of_the_right_venue_and_mint() -> None:
    state = sample_state(random.Random(3))
    try:
        VENUE.curve(state, Pubkey.new_unique())
    except QuoteError:
        return
    raise AssertionError("a foreign mint got a curve")
