"""Inputs where the Python sizer used to raise out of `Sizer.size`: it now gives up (None).

The native port (`native/src/sizer/`) stops at these points with `Err(Raise)`, which
`size_route` turns into None; the Python search now returns None at the same decision
points instead of raising ZeroDivisionError (a fit near 2^60), OverflowError (int(inf) on
a perfectly flat fit) or AssertionError (a gap in the feasible range), any of which would
stop the engine. The route model gives up (None) where it divided by zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solarb_runtime.strategy import optimum as opt
from solarb_runtime.strategy.curve import fit
from solarb_runtime.strategy.model import _top, optimum
from solarb_runtime.venues.curve import LegCurve, hyperbola

U64_MAX = 2**64 - 1
Level = Callable[[int], int | None]


def _hyperbola_level(a: int, b: int, gap: tuple[int, int] = (0, 0)) -> Level:
    """out(x) = ⌊a·x / (b + x)⌋, undefined on [gap[0], gap[1]) (a hole in feasibility)."""

    def level(x: int) -> int | None:
        if x <= 0 or gap[0] <= x < gap[1]:
            return None
        return a * x // (b + x)

    return level


def _ev(level: Level) -> Callable[[int], int | None]:
    def ev(x: int) -> int | None:
        out = level(x)
        return None if out is None else out - x

    return ev


def _top_at(top: int, b: int) -> int:
    """The `a` whose hyperbola a·x/(b + x) has its marginal rate 1 at `top`."""
    return (top + b) ** 2 // b


# -- a fit through two sizes with the same float reciprocal ------------------------------


def test_fit_near_2_60_is_a_float_division_by_zero() -> None:
    # The cause: distinct sizes this large share 1/x as a float, and `fit` divides by the
    # difference. `_fit` must flag exactly this case.
    x = 2**60
    assert 1.0 / x == 1.0 / (x + 1)
    with pytest.raises(ZeroDivisionError):
        fit(x, 3 * 2**59, x + 1, 3 * 2**59 + 1)
    with pytest.raises(opt._Unsizable):
        opt._fit(x, 3 * 2**59, x + 1, 3 * 2**59 + 1)


@settings(max_examples=300, deadline=None)
@given(
    x1=st.integers(1, U64_MAX),
    delta=st.integers(-1024, 1024),
    out1=st.integers(0, U64_MAX),
    out2=st.integers(0, U64_MAX),
)
def test_guarded_fit_gives_up_exactly_where_fit_raises(
    x1: int, delta: int, out1: int, out2: int
) -> None:
    x2 = max(1, x1 + delta)
    try:
        expected = fit(x1, out1, x2, out2)
    except ZeroDivisionError:
        with pytest.raises(opt._Unsizable):
            opt._fit(x1, out1, x2, out2)
        return
    assert opt._fit(x1, out1, x2, out2) == expected


def test_model_steps_near_2_60_give_up_instead_of_raising() -> None:
    # A concave route output whose top is at 2^60, searched in a bracket 2^21 wide around
    # it: the model steps narrow it until the fit's two sizes share a float reciprocal.
    # The levels fit in u64, so the native objective sees the same numbers. Before the fix
    # this raised ZeroDivisionError out of `maximise`; the native port returns None.
    b = 2**61
    level = _hyperbola_level(_top_at(2**60, b), b)
    assert all((v := level(x)) is not None and v <= U64_MAX for x in (2**60 - 2**20, 2**60 + 2**20))
    calls: list[tuple[int, int, int, int]] = []
    guarded = opt._fit

    def spy(x1: int, out1: int, x2: int, out2: int) -> object:
        calls.append((x1, out1, x2, out2))
        return guarded(x1, out1, x2, out2)

    lo, hi = 2**60 - 2**20, 2**60 + 2**20
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(opt, "_fit", spy)
        found = opt.maximise(_ev(level), lo, hi, level=level, cost_rate=1.0)
    assert found is None
    # It gave up at a fit whose reciprocals coincide, not anywhere else.
    x1, _, x2, _ = calls[-1]
    assert x1 != x2
    assert 1.0 / x1 == 1.0 / x2
    # The same curve over a bracket whose fits stay apart is sized normally.
    wide = opt.maximise(_ev(level), 2**59, 2**61, level=level, cost_rate=1.0)
    assert wide is not None
    assert wide[1] == _ev(level)(wide[0])


# -- a perfectly flat fit: the probe distance is infinite ---------------------------------


def test_flat_fit_gives_up_instead_of_overflowing() -> None:
    # Outputs past any u64 (only a direct caller can pass them) make the fitted curve's
    # cube overflow: curvature 0, flat width inf, and int(inf) raised OverflowError
    # before the fix. The native port's `trunc` returns Err at the same point.
    b = 10**110
    level = _hyperbola_level(2 * b, b)
    model = fit(10**109, level(10**109) or 0, 10**111, level(10**111) or 0)
    assert model is not None
    assert model.flat_width(1e110) == math.inf
    with pytest.raises(OverflowError):
        int(model.flat_width(1e110) * math.sqrt(2))
    assert opt.maximise(_ev(level), 10**109, 10**111, level=level, cost_rate=1.0) is None
    assert opt._round(2.5) == 2
    assert opt._int(-2.7) == -2
    for bad in (math.inf, -math.inf, math.nan):
        with pytest.raises(opt._Unsizable):
            opt._int(bad)
        with pytest.raises(opt._Unsizable):
            opt._round(bad)


# -- a gap in the feasible range ---------------------------------------------------------


B_GAP = 10**6
A_GAP = 2 * B_GAP  # top at B·(√2 − 1) ≈ 414214 for a cost rate of 1


@pytest.mark.parametrize(
    ("gap", "cost_rate"),
    [((414224, 414244), None), ((414230, 414260), None), ((414100, 414200), 1.0)],
)
def test_gap_in_feasibility_gives_up_instead_of_asserting(
    gap: tuple[int, int], cost_rate: float | None
) -> None:
    # A hole a few atoms from the top: the hill-climb (golden) or the settle step (model)
    # asks for its value, which `value()` asserted was defined (AssertionError before the
    # fix). The native `Search::value` returns Err there.
    level = _hyperbola_level(A_GAP, B_GAP, gap)
    assert opt.maximise(_ev(level), 1, 10**6, level=level, cost_rate=cost_rate) is None
    # Without the hole the same search sizes the curve.
    whole = _hyperbola_level(A_GAP, B_GAP)
    found = opt.maximise(_ev(whole), 1, 10**6, level=whole, cost_rate=cost_rate)
    assert found is not None
    assert found[1] == _ev(whole)(found[0])


def test_polish_gives_up_when_its_search_does() -> None:
    # A misled model (its top far from the real one) sends `polish` to a search over the
    # whole range; when that search breaks down the polish gives up too, instead of
    # returning the best point seen so far (the native port propagates the Err).
    level = _hyperbola_level(A_GAP, B_GAP, (414224, 414244))
    ev = _ev(level)
    ceiling, misled = 171572.0, 10.0
    best_near_guess = max(v for x in (999, 1000, 1001) if (v := ev(x)) is not None)
    assert ceiling - best_near_guess > misled  # the polish does search

    def polish(level: Callable[[int], int | None], guess: float) -> tuple[int, int] | None:
        return opt.polish(
            _ev(level),
            1,
            10**6,
            guess,
            level=level,
            start=None,
            cost_rate=1.0,
            ceiling=ceiling,
            tolerance=1,
            misled=misled,
            flat=1.0,
        )

    assert polish(level, 1000.0) is None
    # A guess inside the hole falls back to the model-step search, which gives up too.
    assert polish(_hyperbola_level(A_GAP, B_GAP, (414100, 414200)), 414150.0) is None
    # Without the hole the same polish sizes the curve.
    whole = _hyperbola_level(A_GAP, B_GAP)
    found = polish(whole, 1000.0)
    assert found is not None
    assert found[1] == _ev(whole)(found[0])


@settings(max_examples=40, deadline=None)
@given(
    b=st.integers(10**3, 10**9),
    rate=st.sampled_from([1.0, 1.0009, 1.003]),
    offset=st.integers(-3000, 3000),
    width=st.integers(1, 200),
    golden=st.booleans(),
)
def test_search_with_a_gap_never_raises(
    b: int, rate: float, offset: int, width: int, golden: bool
) -> None:
    # Wherever the hole lands, the search either sizes the curve at a feasible point (with
    # its exact EV) or gives up: it never raises out of the sizer.
    top = max(2, math.isqrt(2 * b * b) - b + offset)
    gap = (top, top + width)
    level = _hyperbola_level(2 * b, b, gap)
    ev = _ev(level)
    found = opt.maximise(ev, 1, 4 * b, level=level, cost_rate=None if golden else rate)
    if found is not None:
        assert found[1] == ev(found[0])


# -- the route model: divisions by zero give up (None) -----------------------------------


def _cpmm(reserve_in: float, reserve_out: float) -> LegCurve:
    return LegCurve(
        (hyperbola(0.0, math.inf, 0.0, reserve_in=reserve_in, reserve_out=reserve_out, fee=0.0),)
    )


def test_model_gives_up_on_a_zero_or_negative_rate() -> None:
    # sqrt(det / rate) divided by zero (rate 0) or took a negative root (rate < 0): the
    # caller caught ZeroDivisionError/ValueError; the model now says None itself, where the
    # native `optimum` returns Err (both mean "search on exact quotes").
    legs = [_cpmm(1e6, 2e6)]
    assert optimum(legs, 1.0, 1.0, 1e7) is not None
    assert optimum(legs, 0.0, 1.0, 1e7) is None
    assert optimum(legs, -1.0, 1.0, 1e7) is None


def test_model_gives_up_when_the_denominator_underflows() -> None:
    # Reserves of 1e-200: d = s·x + t is nonzero but d·d underflows to 0.
    tiny = 1e-200
    legs = [_cpmm(tiny, tiny)]
    assert optimum(legs, 1.0, 0.0, 1.0) is None
    # `_top` at a point where the map's denominator vanishes.
    assert _top([], 2.0, 1, (1.0, 0.0, 1.0, -2.0), 1.0, kink=True) is None
    assert _top([], 2.0, 1, (1.0, 0.0, 1.0, -2.0), 1.0, kink=False) is None
    top = _top([], 1.0, 1, (1.0, 0.0, 1.0, 1.0), 0.1, kink=True)
    assert top is not None
    assert top.slope == pytest.approx(0.25 - 0.1)
