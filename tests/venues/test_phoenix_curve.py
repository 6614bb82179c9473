"""Phoenix leg model: `curve` against the exact integer quote.

Tolerance, derived from where the program rounds (always against the taker, so the model
is an upper bound: exact <= model(x), up to ~1e-12 relative float error). From below:

* sell, x base atoms: the program floors x to n = x // bls base lots and fills exactly n
  (lots are whole), so it matches A = model adjusted quote of n lots, exactly. It then pays
  floor(A / b) - ceil(ceil(A·f) / b) quote lots, while the model pays A/b·(1 − f): the floor
  loses < 1 quote lot, the two fee ceilings < 1 + 1/b. So exact > model(n·bls) − qls·(2 + 1/b).
* buy, x quote atoms: the program floors x to Q = x // qls quote lots and its budget to
  B = floor(Q·b·M/F) adjusted quote lots (M = u64::MAX, F = M + ceil(M·f)); B > Q·b·M/F − 1
  is the model's budget at x' = Q·qls − qls·F/(b·M). It fills whole orders, then
  floor(rest / price) lots of the first order that does not fit, where the model fills
  rest / price: under one base lot less. So exact > model(x') − bls.
"""

from __future__ import annotations

import dataclasses
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from solarb_runtime.domain.amounts import U64_MAX
from solarb_runtime.venues.base import AmountOutOfRange, QuoteError, VenueError
from solarb_runtime.venues.curve import LegCurve
from solarb_runtime.venues.phoenix import Phoenix, at_clock
from solarb_runtime.venues.phoenix_curve import leg_curve
from solarb_runtime.venues.phoenix_layout import PhoenixState
from solarb_runtime.venues.phoenix_math import ladder, ticks_to_atom_price
from solarb_runtime.venues.phoenix_samples import sample_state
from tests.venues.test_phoenix_support import BASE, QUOTE, random_market, sol_usdc

REL = 1e-12
ASKS = [(150_000, 5), (150_010, 10)]
BIDS = [(149_990, 3), (149_980, 100)]


def _mint(state: PhoenixState, sell: bool) -> Pubkey:
    return state.mint_a if sell else state.mint_b


def _floored(state: PhoenixState, sell: bool, amount: int) -> tuple[float, float]:
    """(input the lower bound is taken at, output atoms it may fall short by): module doc."""
    b = state.base_lots_per_base_unit
    if sell:
        qls = state.quote_lot_size
        return float(amount // state.base_lot_size * state.base_lot_size), qls * (2 + 1 / b)
    fee_adjustment = U64_MAX + -(-U64_MAX * state.taker_fee_bps // 10_000)
    qls = state.quote_lot_size
    lowest = amount // qls * qls - qls * fee_adjustment / (b * U64_MAX)
    return max(0.0, lowest), float(state.base_lot_size)


def _check(state: PhoenixState, sell: bool, amount: int) -> bool:
    """Assert the exact quote is within the model's bounds at `amount`; True if it filled."""
    curve = Phoenix.curve(state, _mint(state, sell))
    model = curve.out(float(amount))
    lowest, slack = _floored(state, sell, amount)
    floor = curve.out(lowest) * (1 - REL) - slack - 1e-6
    try:
        got = Phoenix.quote_exact_in(state, _mint(state, sell), amount).amount_out
    except VenueError:
        if amount > curve.capacity:
            return False  # refused past the model's capacity: as it should be
        got = 0  # refused inside it: only fine if the model allows nothing here
    assert got <= model * (1 + REL) + 1e-6, (amount, got, model)
    if amount <= curve.capacity:
        assert got >= floor, (amount, got, model, floor)
    return got > 0


def _sample(rng: random.Random) -> PhoenixState:
    """A mainnet-shaped market, or a random one, with a random taker fee."""
    if rng.random() < 0.5:
        return random_market(rng, huge=0.03)
    state = sample_state(rng)
    return dataclasses.replace(state, taker_fee_bps=rng.choice([0, 2, 5, 30]))


def _sizes(rng: random.Random, curve: LegCurve, n: int) -> list[int]:
    """Sizes over the whole range: log-uniform, around the piece ends, past the capacity."""
    cap = curve.capacity
    sizes = [cap * math.exp(rng.uniform(math.log(1e-9), math.log(1.2))) for _ in range(n)]
    for _ in range(n // 2):
        edge = rng.choice(curve.pieces).x1
        sizes.append(edge + rng.uniform(-3.0, 3.0) * max(1.0, edge * 1e-9))
    sizes.append(rng.randint(1, 1000))
    return sorted({min(U64_MAX, int(s)) for s in sizes if s >= 1.0})


# -- against the exact quote ----------------------------------------------------------------


def test_model_bounds_the_exact_quote_on_random_markets() -> None:
    rng = random.Random(20240607)
    filled = 0
    for _ in range(120):
        state = _sample(rng)
        for sell in (True, False):
            curve = Phoenix.curve(state, _mint(state, sell))
            for amount in _sizes(rng, curve, 12):
                filled += _check(state, sell, amount)
    assert filled > 1000  # the bounds were tested on real fills, not only refusals


def test_model_matches_the_hand_computed_book() -> None:
    # Sell 3 lots into the 149_990 bid: 3 * 149_990 quote lots gross less 2 bps =
    # 449_880.006 modelled; the program pays 449_970 - 90 = 449_880 (test_phoenix).
    state = sol_usdc(ASKS, BIDS)
    sell = Phoenix.curve(state, BASE)
    assert sell.pieces[0].x1 == 3_000_000.0
    assert sell.out(3_000_000.0) == pytest.approx(449_970 * 0.9998, rel=1e-15)
    assert Phoenix.quote_exact_in(state, BASE, 3_000_000).amount_out == 449_880
    assert sell.capacity == 103_000_000.0
    # Buy: the first level's 5 lots cost 750_000 quote lots matched, 750_000 * F / M paid.
    buy = Phoenix.curve(state, QUOTE)
    scale = (U64_MAX + -(-U64_MAX * 2 // 10_000)) / U64_MAX
    assert buy.pieces[0].x1 == pytest.approx(750_000 * scale, rel=1e-15)
    assert buy.out(buy.pieces[0].x1) == 5_000_000.0
    assert buy.capacity == pytest.approx((750_000 + 1_500_100) * scale, rel=1e-15)


def test_marginal_is_the_level_price_and_the_models_derivative() -> None:
    rng = random.Random(7)
    for _ in range(40):
        state = sample_state(rng)
        f = state.taker_fee_bps / 10_000
        for sell in (True, False):
            curve = Phoenix.curve(state, _mint(state, sell))
            book = ladder(
                state.bids if sell else state.asks, state.slot, state.clock_unix_timestamp
            )
            assert len(curve.pieces) == len(book)
            for piece, (ticks, lots) in zip(curve.pieces, book, strict=True):
                price = float(ticks_to_atom_price(state, ticks))  # quote atoms per base atom
                rate = price * (1 - f) if sell else 1 / (price * (1 + f))
                mid = (piece.x0 + piece.x1) / 2
                assert curve.marginal(mid) == pytest.approx(rate, rel=1e-9)
                h = (piece.x1 - piece.x0) / 4
                slope = (curve.out(mid + h) - curve.out(mid - h)) / (2 * h)
                assert slope == pytest.approx(curve.marginal(mid), rel=1e-9)
                width = lots * state.base_lot_size if sell else lots * state.base_lot_size / rate
                assert piece.x1 - piece.x0 == pytest.approx(width, rel=1e-9)
            assert curve.marginal(curve.capacity) == 0.0


def test_beyond_the_capacity_the_program_fills_no_more() -> None:
    rng = random.Random(11)
    for _ in range(60):
        state = _sample(rng)
        for sell in (True, False):
            curve = Phoenix.curve(state, _mint(state, sell))
            cap = curve.capacity
            for amount in (math.ceil(cap) + 1, int(cap * 1.001) + 1_000_000, int(cap * 3) + 2):
                try:
                    got = Phoenix.quote_exact_in(state, _mint(state, sell), amount).amount_out
                except VenueError:
                    continue
                assert got <= curve.out(cap) * (1 + REL) + 1e-6


def test_an_order_worth_more_than_u64_ends_the_capacity() -> None:
    state = sol_usdc([(150_000, 5), (10**12, 10**8)], BIDS)
    curve = Phoenix.curve(state, QUOTE)
    assert len(curve.pieces) == 1
    with pytest.raises(AmountOutOfRange, match="overflows u64"):
        Phoenix.quote_exact_in(state, QUOTE, math.ceil(curve.capacity) + 1_000)


def test_an_empty_or_expired_side_takes_nothing() -> None:
    empty = sol_usdc([], BIDS)
    assert Phoenix.curve(empty, QUOTE).capacity == 0.0
    assert Phoenix.curve(empty, BASE).capacity == 103_000_000.0
    # Both asks carry slot limits before the clock's slot 1000: expired, skipped.
    expired = sol_usdc([(150_000, 5, 999), (150_010, 10, 998)], BIDS)
    assert Phoenix.curve(expired, QUOTE).capacity == 0.0
    assert Phoenix.curve(expired, QUOTE).out(1e9) == 0.0
    with pytest.raises(VenueError):
        Phoenix.quote_exact_in(expired, QUOTE, 1_000_000)
    # Later in the slot order the same asks are live.
    assert Phoenix.curve(at_clock(expired, 990, None), QUOTE).capacity > 0.0


def test_a_market_that_refuses_swaps_takes_nothing() -> None:
    for status in ("PostOnly", "Paused", "Closed"):
        state = dataclasses.replace(sol_usdc(ASKS, BIDS), status=status)
        for mint in (BASE, QUOTE):
            assert Phoenix.curve(state, mint).capacity == 0.0
            with pytest.raises(QuoteError):
                Phoenix.quote_exact_in(state, mint, 10_000_000)


def test_a_full_fee_sell_pays_nothing() -> None:
    state = sol_usdc(ASKS, BIDS, taker_fee_bps=10_000)
    curve = Phoenix.curve(state, BASE)
    assert curve.out(curve.capacity) == 0.0
    with pytest.raises(VenueError):
        Phoenix.quote_exact_in(state, BASE, 3_000_000)


def test_curve_is_cached_per_state_and_direction() -> None:
    state = sol_usdc(ASKS, BIDS)
    sell, buy = Phoenix.curve(state, BASE), Phoenix.curve(state, QUOTE)
    assert Phoenix.curve(state, BASE) is sell
    assert Phoenix.curve(state, QUOTE) is buy
    assert sell.pieces != buy.pieces
    assert leg_curve(state, BASE).pieces == sell.pieces
    # A new state (another clock) gets its own model.
    later = at_clock(state, 2000, None)
    assert Phoenix.curve(later, BASE) is not sell
    with pytest.raises(QuoteError):
        Phoenix.curve(state, Pubkey.new_unique())


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    sell=st.booleans(),
    where=st.floats(0.0, 1.1, allow_nan=False),
)
def test_model_bounds_the_exact_quote(seed: int, sell: bool, where: float) -> None:
    state = _sample(random.Random(seed))
    curve = Phoenix.curve(state, _mint(state, sell))
    amount = max(1, min(U64_MAX, int(curve.capacity * where)))
    _check(state, sell, amount)
