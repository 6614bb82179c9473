"""The gated size ramp: daily summaries move `status.ramp.step` up, or halve the size.

Pure. Git owns the steps (`spec.sizing.ramp.steps`); the operator only moves an index into
them, so the effective size can never exceed the spec's last step. Each daily summary is
judged once (`last_day` remembers the newest judged), so re-running on the same summaries
changes nothing.

A summary is `{"day": "YYYY-MM-DD", "pnl": float, "ev_error_median_bps": float,
"ev_error_p95_bps": float, "inclusion": float}` (the runtime's daily report).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class RampState:
    step: int = 0
    streak: int = 0  # consecutive net-positive days since the step began
    last_day: str = ""
    last_gate: str = ""


@dataclass(frozen=True, slots=True)
class Gates:
    pnl_days: int
    ev_error_median_bps: float
    ev_error_p95_bps: float
    inclusion_min: float

    @staticmethod
    def from_spec(gates: dict[str, Any]) -> Gates:
        return Gates(
            pnl_days=int(gates.get("pnl_days", 3)),
            ev_error_median_bps=float(gates.get("ev_error_median_bps", 5.0)),
            ev_error_p95_bps=float(gates.get("ev_error_p95_bps", 25.0)),
            inclusion_min=float(gates.get("inclusion_min", 0.5)),
        )


def calibration_failure(day: dict[str, Any], gates: Gates) -> str | None:
    """Which calibration gate the day fails (EV error or inclusion), or None.

    A day without the figures (no fills, nothing executed) fails: no evidence, no step up.
    """
    for field in ("ev_error_median_bps", "ev_error_p95_bps", "inclusion"):
        if day.get(field) is None:
            return f"no {field} reported for the day"
    median = float(day["ev_error_median_bps"])
    p95 = float(day["ev_error_p95_bps"])
    inclusion = float(day["inclusion"])
    if median > gates.ev_error_median_bps:
        return f"ev error median {median:g} bps > {gates.ev_error_median_bps:g}"
    if p95 > gates.ev_error_p95_bps:
        return f"ev error p95 {p95:g} bps > {gates.ev_error_p95_bps:g}"
    if inclusion < gates.inclusion_min:
        return f"inclusion {inclusion:.0%} < {gates.inclusion_min:.0%}"
    return None


def halved(steps: list[float], step: int) -> int:
    """The highest step whose size is at most half the current one (or the first step)."""
    target = steps[step] / 2
    best = 0
    for i, size in enumerate(steps[:step]):
        if size <= target:
            best = i
    return best


def judge_day(state: RampState, steps: list[float], gates: Gates, day: dict[str, Any]) -> RampState:
    """The ramp after one more daily summary."""
    name = str(day.get("day", ""))
    pnl = float(day.get("pnl", 0.0))
    failure = calibration_failure(day, gates)
    top = len(steps) - 1
    step = min(state.step, top)
    if pnl < 0 and failure is not None:
        new = halved(steps, step)
        return RampState(new, 0, name, f"halved: net-negative day and {failure}")
    if pnl <= 0:
        return RampState(step, 0, name, "blocked: net-negative day")
    streak = state.streak + 1
    if failure is not None:
        return RampState(step, streak, name, f"blocked: {failure}")
    if streak < gates.pnl_days:
        return RampState(step, streak, name, f"blocked: {streak}/{gates.pnl_days} positive days")
    if step >= top:
        return RampState(step, streak, name, "pass: at the spec's last step")
    return RampState(step + 1, 0, name, "pass: advanced")


def advance(
    state: RampState,
    steps: list[float],
    gates: Gates,
    days: list[dict[str, Any]],
    today: str | None = None,
) -> RampState:
    """Judge every complete day newer than `state.last_day`, oldest first.

    The runtime updates today's summary after every session, so a day is judged only once
    it is over (before `today`, UTC): each day is judged once, on all its sessions.
    """
    if not steps:
        return replace(state, step=0)
    today = today if today is not None else datetime.now(UTC).strftime("%Y-%m-%d")
    state = replace(state, step=min(state.step, len(steps) - 1))
    for day in sorted(days, key=lambda d: str(d.get("day", ""))):
        name = str(day.get("day", ""))
        if state.last_day < name < today:
            state = judge_day(state, steps, gates, day)
    return state
