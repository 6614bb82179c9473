"""Raydium CPMM leg model: the continuous curve against the exact integer quote.

The tolerance, derived from the program's roundings (all of them against the trader):

* the model is an upper bound: exact(x) ≤ model(x);
* on the way in, the input transfer fee (one ceil) and the trade/creator fee (one ceil)
  lose under 2 atoms of the amount the curve swaps (`less` = arriving·f), i.e. under
  δ = 2 / (f·α) atoms of x, where α is the share of x that arrives (1 − bps_in, or 1 past
  the fee's cap);
* on the way out, the curve's floor, a creator-fee ceil and the output transfer-fee ceil
  lose under 3 atoms (each step is 1-Lipschitz);

so model(x − δ) − 3 ≤ exact(x) ≤ model(x), plus 1e-12 relative for float error. Where the
program refuses a tiny amount ("buys nothing"), exact(x) is 0 in these bounds.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solarb_runtime.domain.amounts import U64_MAX
from solarb_runtime.domain.keys import SPL_TOKEN_PROGRAM, TOKEN_2022_PROGRAM
from solarb_runtime.venues.base import AmountOutOfRange, QuoteError
from solarb_runtime.venues.curve import LegCurve
from solarb_runtime.venues.raydium_cpmm import RAYDIUM_CPMM, CpmmState
from solarb_runtime.venues.raydium_cpmm_curve import capacity
from solarb_runtime.venues.raydium_cpmm_layout import STATUS_SWAP_DISABLED, CreatorFeeOn
from solarb_runtime.venues.raydium_cpmm_samples import sample_state
from solarb_runtime.venues.token import TransferFee

V = RAYDIUM_CPMM
_REL = 1e-12


def _fee(rng: random.Random) -> TransferFee | None:
    if rng.random() < 0.5:
        return None
    bps = rng.choice((1, 10, 100, 500, 2_500, 9_999, 10_000))
    # Caps from 0 to "never reached", so the kinks land everywhere in the range.
    cap = int(10 ** rng.uniform(0, 19)) if rng.random() < 0.9 else 0
    return TransferFee(epoch=0, maximum_fee=min(cap, U64_MAX), basis_points=bps)


def random_state(rng: random.Random) -> CpmmState:
    """A pool with random liquidity, price, fee rates, creator-fee mode and transfer fees."""
    base = sample_state(rng)
    trade = rng.choice((0, 1, 100, 2_500, 40_000, 300_000))
    creator = rng.choice((0, 0, 1, 1_000, 100_000))
    fee_a, fee_b = _fee(rng), _fee(rng)
    reserves = [int(10 ** rng.uniform(0, 18.5)) for _ in range(2)]
    accrued = [rng.randrange(r // 50 + 1) for r in reserves]
    vaults = [r + a for r, a in zip(reserves, accrued, strict=True)]
    if rng.random() < 0.1:  # a vault near u64: the capacity is the vault's room
        vaults[0] = U64_MAX - rng.randrange(10 ** rng.randrange(1, 19))
    pool = replace(
        base.pool,
        creator_fee_on=rng.choice(tuple(CreatorFeeOn)),
        enable_creator_fee=creator > 0,
        protocol_fees_token_0=accrued[0],
        protocol_fees_token_1=accrued[1],
        fund_fees_token_0=0,
        fund_fees_token_1=0,
        creator_fees_token_0=0,
        creator_fees_token_1=0,
        token_0_program=TOKEN_2022_PROGRAM if fee_a else SPL_TOKEN_PROGRAM,
        token_1_program=TOKEN_2022_PROGRAM if fee_b else SPL_TOKEN_PROGRAM,
    )
    config = replace(base.config, trade_fee_rate=trade, creator_fee_rate=creator)
    return replace(
        base,
        pool=pool,
        config=config,
        vault_amount_a=vaults[0],
        vault_amount_b=vaults[1],
        transfer_fees_a=(fee_a, fee_a) if fee_a else None,
        transfer_fees_b=(fee_b, fee_b) if fee_b else None,
    )


def _exact(state: CpmmState, a_in: bool, x: int) -> int:
    mint_in = state.mint_a if a_in else state.mint_b
    try:
        return V.quote_exact_in(state, mint_in, x).amount_out
    except AmountOutOfRange as exc:
        refused = exc.reason
    # Only a tiny amount may be refused inside the capacity.
    assert "nothing" in refused, refused
    return 0


def _delta(state: CpmmState, a_in: bool) -> float:
    """δ: the input atoms 2 atoms of `less` are worth at the steepest (least kept) stretch."""
    path = state.path_a_to_b if a_in else state.path_b_to_a
    rates = path.rates
    charged = rates.trade + (rates.creator if path.creator_on_input else 0)
    f = 1 - charged / 1e6
    alpha = 1 - path.fee_in.basis_points / 1e4 if path.fee_in else 1.0
    return 2 / (f * alpha) if f * alpha > 0 else math.inf


def _slack(state: CpmmState, a_in: bool, x: float) -> float:
    """Float error: 1e-12 of the largest amount the model handles, the fee-free output."""
    path = state.path_a_to_b if a_in else state.path_b_to_a
    return _REL * min(path.reserve_out, path.reserve_out * x / path.reserve_in) + 1e-9


def _blur(curve: LegCurve, x: float) -> float:
    """How much the model moves while x moves by a few of its float ulps (x up to 1.8e19
    is only known to ~2048 atoms as a float; a kink is only placed that well)."""
    wide = 8 * math.ulp(x)
    return curve.out(x + wide) - curve.out(max(0.0, x - wide))


def check_point(state: CpmmState, a_in: bool, curve: LegCurve, x: int) -> None:
    exact = _exact(state, a_in, x)
    model = curve.out(float(x))
    slack = _slack(state, a_in, x) + _blur(curve, x)
    lower = curve.out(max(0.0, x - _delta(state, a_in))) - 3
    assert exact <= model + slack, (x, exact, model)
    assert exact >= lower - slack, (x, exact, lower, model)


def _sizes(rng: random.Random, most: int, n: int) -> list[int]:
    """Sizes log-uniform over the whole range, plus the ends."""
    top = math.log10(most)
    sizes = [max(1, min(most, int(10 ** rng.uniform(0, top)))) for _ in range(n)]
    return [*sizes, 1, most, max(1, most - rng.randrange(1, 1_000))]


def _directions(state: CpmmState) -> list[tuple[bool, LegCurve]]:
    return [(True, V.curve(state, state.mint_a)), (False, V.curve(state, state.mint_b))]


# ---- the model against the exact quote ------------------------------------------------------


def test_model_matches_exact_quotes_on_sampled_pools() -> None:
    rng = random.Random(7)
    for _ in range(150):
        state = sample_state(rng)
        for a_in, curve in _directions(state):
            most = int(curve.capacity)
            exact_most = capacity(state.path_a_to_b if a_in else state.path_b_to_a)
            # The float capacity is the program's, rounded down to a float.
            assert most <= exact_most < most + most / 2**52 + 1
            for x in _sizes(rng, most, 12):
                check_point(state, a_in, curve, x)


def test_model_matches_exact_quotes_on_random_pools() -> None:
    rng = random.Random(8)
    kinked = 0
    for _ in range(400):
        state = random_state(rng)
        for a_in, curve in _directions(state):
            if curve.capacity == 0:
                with pytest.raises(QuoteError):
                    V.quote_exact_in(state, state.mint_a if a_in else state.mint_b, 1_000)
                continue
            kinked += len(curve.pieces) > 1
            for x in _sizes(rng, int(curve.capacity), 10):
                check_point(state, a_in, curve, x)
    assert kinked > 50  # the transfer-fee caps were exercised


def _reference(state: CpmmState, a_in: bool, x: Fraction) -> Fraction:
    """The program's exact-in chain in exact rationals, every rounding taken out."""
    path = state.path_a_to_b if a_in else state.path_b_to_a
    rates = path.rates
    arriving = x
    if path.fee_in:
        arriving = x - min(x * path.fee_in.basis_points / 10_000, Fraction(path.fee_in.maximum_fee))
    charged = rates.trade + (rates.creator if path.creator_on_input else 0)
    less = arriving * (10**6 - charged) / 10**6
    out = less * path.reserve_out / (path.reserve_in + less)
    if not path.creator_on_input:
        out = out * (10**6 - rates.creator) / 10**6
    if path.fee_out:
        out -= min(out * path.fee_out.basis_points / 10_000, Fraction(path.fee_out.maximum_fee))
    return out


def test_pieces_follow_the_rational_chain_across_the_fee_caps() -> None:
    rng = random.Random(9)
    for _ in range(300):
        state = random_state(rng)
        for a_in, curve in _directions(state):
            if curve.capacity == 0:
                continue  # refused by the program: no chain to follow
            for piece in curve.pieces:
                for t in (0.0, rng.random(), 1.0):
                    x = piece.x0 + t * (piece.x1 - piece.x0)
                    want = float(_reference(state, a_in, Fraction(x)))
                    slack = _slack(state, a_in, x) + _blur(curve, x)
                    assert piece.out(x) == pytest.approx(want, abs=slack)


def test_marginal_is_the_derivative_of_the_model() -> None:
    rng = random.Random(10)
    for _ in range(200):
        state = random_state(rng)
        for _, curve in _directions(state):
            for piece in curve.pieces:
                if piece.x1 - piece.x0 < 1e3:
                    continue
                x = rng.uniform(piece.x0, piece.x1)
                h = min(x - piece.x0, piece.x1 - x, max(1.0, x * 1e-6)) / 2
                if h < 0.5:
                    continue
                diff = (curve.out(x + h) - curve.out(x - h)) / (2 * h)
                noise = 1e-15 * abs(curve.out(x)) / h  # the difference's float error
                assert curve.marginal(x) == pytest.approx(diff, rel=1e-5, abs=noise + 1e-15)


def test_beyond_the_capacity_the_program_refuses() -> None:
    rng = random.Random(11)
    for _ in range(200):
        state = random_state(rng)
        if state.halt is not None:
            continue
        for a_in, curve in _directions(state):
            path = state.path_a_to_b if a_in else state.path_b_to_a
            most = capacity(path)
            assert int(curve.capacity) <= most
            mint_in = state.mint_a if a_in else state.mint_b
            if curve.capacity == 0:
                continue
            assert curve.out(curve.capacity * 2) == curve.out(curve.capacity)
            assert curve.marginal(curve.capacity) == 0.0
            for beyond in (most + 1, most + 10**9, U64_MAX + 1):
                with pytest.raises(AmountOutOfRange):
                    V.quote_exact_in(state, mint_in, beyond)
            _exact(state, a_in, most)  # the capacity itself is taken


def test_pools_the_program_refuses_take_nothing() -> None:
    rng = random.Random(12)
    for _ in range(20):
        state = sample_state(rng)
        empty = replace(state, vault_amount_a=state.vault_amount_a - state.reserve_a)
        overdrawn = replace(state, vault_amount_b=state.vault_amount_b - state.reserve_b - 1)
        halted = replace(state, pool=replace(state.pool, status=STATUS_SWAP_DISABLED))
        for bad in (empty, overdrawn, halted):
            for mint in (bad.mint_a, bad.mint_b):
                curve = V.curve(bad, mint)
                assert curve.capacity == 0
                assert curve.out(1e6) == 0
                with pytest.raises(QuoteError):
                    V.quote_exact_in(bad, mint, 1_000)


def test_zero_combined_fee_on_the_input_takes_nothing() -> None:
    state = sample_state(random.Random(13))
    free = replace(
        state,
        config=replace(state.config, trade_fee_rate=0, creator_fee_rate=0),
        pool=replace(state.pool, creator_fee_on=CreatorFeeOn.BOTH_TOKEN),
    )
    assert V.curve(free, free.mint_a).capacity == 0
    with pytest.raises(QuoteError):
        V.quote_exact_in(free, free.mint_a, 10**6)


def test_curve_follows_the_state_and_direction() -> None:
    state = sample_state(random.Random(14))
    curve = V.curve(state, state.mint_a)
    assert V.curve(state, state.mint_a) is curve  # built once per state and direction
    assert V.curve(state, state.mint_b) is not curve
    richer = replace(state, vault_amount_b=state.vault_amount_b * 2)
    x = state.reserve_a / 10
    assert V.curve(richer, richer.mint_a).out(x) > curve.out(x)
    with pytest.raises(QuoteError):
        V.curve(state, state.address)


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    a_in=st.booleans(),
    where=st.floats(min_value=0.0, max_value=1.0),
)
def test_model_bounds_the_exact_quote(seed: int, a_in: bool, where: float) -> None:
    state = random_state(random.Random(seed))
    curve = V.curve(state, state.mint_a if a_in else state.mint_b)
    if curve.capacity == 0:
        return
    # `where` spreads sizes log-uniformly from 1 atom to the capacity.
    x = max(1, min(int(curve.capacity), int(curve.capacity**where)))
    check_point(state, a_in, curve, x)
