"""The route model's closed-form optimum against a dense search on the same model."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from solarb_runtime.strategy.model import apply, compose, invert, optimum, piece_map
from solarb_runtime.venues.curve import LegCurve, Piece, hyperbola, line


def route_model_out(legs: list[LegCurve], x: float) -> float:
    """The route's modelled output for input `x`, leg by leg (the reference)."""
    amount = x
    for leg in legs:
        amount = leg.out(amount)  # past its capacity a leg delivers what it has
    return amount


def _leg(r: random.Random, scale: float) -> LegCurve:
    """A concave leg: one hyperbola, or a ladder of lines with falling rates (a book, bins)."""
    if r.random() < 0.5:
        reserve = scale * r.uniform(0.5, 20)
        rate = r.uniform(0.5, 2.0)
        piece = hyperbola(
            0.0,
            math.inf,
            0.0,
            reserve_in=reserve,
            reserve_out=reserve * rate,
            fee=r.uniform(0, 0.01),
        )
        return LegCurve((piece,))
    pieces: list[Piece] = []
    x = out = 0.0
    rate = r.uniform(0.8, 1.3)
    for _ in range(r.randint(1, 12)):
        width = scale * r.uniform(0.05, 2)
        pieces.append(line(x, x + width, out, rate))
        x, out = x + width, out + width * rate
        rate *= r.uniform(0.9, 0.999)
    return LegCurve(tuple(pieces))


def _dense_best(legs: list[LegCurve], rate: float, lo: float, hi: float) -> float:
    """max of R(x) − rate·x over a fine grid refined twice around the best."""
    best_x = lo
    a, b = lo, hi
    for _ in range(3):
        step = (b - a) / 4000
        xs = [a + i * step for i in range(4001)]
        best_x = max(xs, key=lambda x: route_model_out(legs, x) - rate * x)
        a, b = max(lo, best_x - step), min(hi, best_x + step)
    return route_model_out(legs, best_x) - rate * best_x


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 10**6), hops=st.integers(1, 3))
def test_optimum_matches_a_dense_search(seed: int, hops: int) -> None:
    r = random.Random(seed)
    scale = 10 ** r.uniform(2, 7)
    legs = [_leg(r, scale) for _ in range(hops)]
    rate = 1.0 + r.choice([0.0, 0.0009])
    cap = min(leg.capacity for leg in legs)
    hi = scale * r.uniform(0.5, 30) if math.isinf(cap) else cap * r.uniform(0.5, 1.5)
    top = optimum(legs, rate, 1.0, hi)
    assert top is not None
    assert 1.0 <= top.size <= hi * (1 + 1e-9)
    got = route_model_out(legs, top.size) - rate * top.size
    want = _dense_best(legs, rate, 1.0, hi)
    # The closed form is at least as good as any grid point, up to float noise.
    assert got >= want - 1e-7 * max(1.0, abs(want), scale)
    assert math.isclose(top.out, route_model_out(legs, top.size), rel_tol=1e-12, abs_tol=1e-9)


def test_composition_and_inverse_agree_with_the_pieces() -> None:
    first = hyperbola(0.0, math.inf, 0.0, reserve_in=1_000.0, reserve_out=2_000.0, fee=0.003)
    second = line(50.0, 400.0, 70.0, 0.75)
    m = compose(piece_map(second), piece_map(first))
    for x in (60.0, 100.0, 250.0):
        assert math.isclose(apply(m, x), second.out(first.out(x)), rel_tol=1e-12)
        assert math.isclose(invert(m, apply(m, x)), x, rel_tol=1e-9)
    # A hyperbola levels off below its output reserve: it never reaches 2,000.
    assert invert(piece_map(first), 2_500.0) == math.inf


def test_top_of_a_single_pool_route_is_the_closed_form() -> None:
    # out = Y·x/(X + x): the top of out − x is at sqrt(X·Y) − X.
    leg = LegCurve((hyperbola(0.0, math.inf, 0.0, reserve_in=1e6, reserve_out=1.21e6, fee=0.0),))
    top = optimum([leg], 1.0, 1.0, 1e9)
    assert top is not None
    assert math.isclose(top.size, math.sqrt(1e6 * 1.21e6) - 1e6, rel_tol=1e-12)
    assert top.slope == 0.0
    assert top.curvature > 0


def test_top_at_the_end_of_a_book_reports_its_slope() -> None:
    # Every level pays more than it costs, so the top is where the book runs out.
    leg = LegCurve((line(0.0, 100.0, 0.0, 1.2), line(100.0, 300.0, 120.0, 1.1)))
    top = optimum([leg], 1.0, 1.0, 1e6)
    assert top is not None
    assert math.isclose(top.size, 300.0, rel_tol=1e-9)
    assert math.isclose(top.slope, 0.1, rel_tol=1e-6)
    assert math.isclose(top.flat_width(), 10.0, rel_tol=1e-6)
    assert top.crossed == 1


def test_unprofitable_route_tops_at_the_smallest_size() -> None:
    leg = LegCurve((line(0.0, 1e9, 0.0, 0.99),))
    top = optimum([leg], 1.0, 5.0, 1e6)
    assert top is not None
    assert top.size == 5.0
