"""The size ramp from synthetic daily summaries: advance, block, halve, never above Git."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from solarb_operator.ramp import Gates, RampState, advance, halved

GATES = Gates(pnl_days=2, ev_error_median_bps=5.0, ev_error_p95_bps=25.0, inclusion_min=0.5)
STEPS = [250.0, 500.0, 1000.0, 2000.0]


def day(
    n: int, pnl: float, median: float = 1.0, p95: float = 5.0, inc: float = 0.9
) -> dict[str, Any]:
    return {
        "day": f"2026-01-{n:02d}",
        "pnl": pnl,
        "ev_error_median_bps": median,
        "ev_error_p95_bps": p95,
        "inclusion": inc,
    }


def test_advances_after_n_positive_days_with_gates_passing() -> None:
    state = advance(RampState(), STEPS, GATES, [day(1, 5.0)])
    assert (state.step, state.streak) == (0, 1)
    assert state.last_gate.startswith("blocked")
    state = advance(state, STEPS, GATES, [day(1, 5.0), day(2, 3.0)])
    assert state.step == 1
    assert state.streak == 0
    assert state.last_gate == "pass: advanced"


def test_each_day_is_judged_once() -> None:
    days = [day(1, 5.0), day(2, 3.0)]
    once = advance(RampState(), STEPS, GATES, days)
    assert advance(once, STEPS, GATES, days) == once


def test_calibration_gate_blocks_but_keeps_the_streak_count() -> None:
    state = advance(RampState(), STEPS, GATES, [day(1, 5.0), day(2, 5.0, median=9.0)])
    assert state.step == 0
    assert "ev error median" in state.last_gate
    state = advance(RampState(), STEPS, GATES, [day(1, 5.0), day(2, 5.0, inc=0.2)])
    assert state.step == 0
    assert "inclusion" in state.last_gate


def test_negative_day_with_degraded_calibration_halves() -> None:
    state = RampState(step=3, last_day="2026-01-01")
    state = advance(state, STEPS, GATES, [day(2, -4.0, p95=80.0)])
    assert STEPS[state.step] <= STEPS[3] / 2
    assert state.step == 2  # 1000 is exactly half of 2000
    assert state.last_gate.startswith("halved")


def test_negative_day_with_good_calibration_only_resets_the_streak() -> None:
    state = advance(RampState(step=2, streak=1), STEPS, GATES, [day(1, -1.0)])
    assert (state.step, state.streak) == (2, 0)


def test_halved_picks_the_highest_step_at_most_half() -> None:
    assert halved([1.0, 2.0, 4.0], 2) == 1
    assert halved([1.0, 3.0, 4.0], 2) == 0
    assert halved([10.0, 11.0], 1) == 0


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(st.integers(1, 10_000), min_size=1, max_size=8, unique=True).map(sorted),
    pnls=st.lists(st.tuples(st.floats(-100, 100), st.floats(0, 30), st.floats(0, 1)), max_size=40),
    start=st.integers(0, 20),
)
def test_never_above_the_specs_last_step(
    steps: list[int], pnls: list[tuple[float, float, float]], start: int
) -> None:
    days = [day(i + 1, p, median=m, inc=inc) for i, (p, m, inc) in enumerate(pnls[:28])]
    state = advance(RampState(step=start), [float(s) for s in steps], GATES, days)
    assert 0 <= state.step <= len(steps) - 1


def test_today_is_judged_only_once_it_is_over() -> None:
    days = [day(1, 5.0), day(2, 3.0)]
    during = advance(RampState(), STEPS, GATES, days, today="2026-01-02")
    assert (during.step, during.last_day) == (0, "2026-01-01")
    after = advance(during, STEPS, GATES, days, today="2026-01-03")
    assert (after.step, after.last_day) == (1, "2026-01-02")


def test_a_day_without_calibration_figures_never_steps_up() -> None:
    quiet = {"day": "2026-01-01", "pnl": 5.0, "ev_error_median_bps": None, "inclusion": None}
    state = advance(RampState(), STEPS, GATES, [quiet, {**quiet, "day": "2026-01-02"}])
    assert state.step == 0
    assert "no ev_error_median_bps" in state.last_gate
