"""Abort guards: from a strategy's reports in Redis, decide whether to latch a trip.

Pure: `evaluate` sees one snapshot of the reports (see `reports.py`) and the strategy's
abort settings and returns the trip to latch, or None. Trip ids are derived from the
reports themselves (not from the clock), so re-evaluating the same reports after an
operator restart or a re-arm names the same trip and is recognised as already handled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from solarb_runtime.domain.mode import Mode


@dataclass(frozen=True, slots=True)
class Reports:
    """One snapshot of what a runtime wrote to Redis (docs/operator.md lists the keys)."""

    heartbeat: dict[str, Any] | None = None
    mode: str | None = None
    counters: dict[str, float] = field(default_factory=dict)
    trips: tuple[dict[str, Any], ...] = ()  # newest first
    sessions: tuple[dict[str, Any], ...] = ()  # newest first
    daily: tuple[dict[str, Any], ...] = ()  # oldest first


GUARD_KINDS = (
    "runtime",
    "negative-sessions",
    "ev-drift",
    "latency-slo",
    "sim-failures",
    "bundle-rejections",
    "heartbeat-lost",
)


@dataclass(frozen=True, slots=True)
class Trip:
    trip_id: str
    reason: str

    @property
    def guard(self) -> str:
        """The guard kind, a bounded label for metrics (the id starts with it)."""
        for kind in GUARD_KINDS:
            if self.trip_id.startswith(f"{kind}-"):
                return kind
        return "other"


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole > 0 else 0.0


def _runtime_trip(reports: Reports) -> Trip | None:
    if not reports.trips:
        return None
    newest = reports.trips[0]
    kind = str(newest.get("kind", "runtime"))
    stamp = newest.get("at_ns", newest.get("at", "0"))
    reason = str(newest.get("reason") or kind)
    return Trip(f"runtime-{kind}-{stamp}", f"runtime reported {kind}: {reason}")


def _session_trip(reports: Reports, limit: int) -> Trip | None:
    recent = reports.sessions[:limit]
    if len(recent) < limit or not all(float(s.get("pnl", 0.0)) < 0 for s in recent):
        return None
    newest = recent[0].get("id", recent[0].get("session", len(reports.sessions)))
    return Trip(f"negative-sessions-{newest}", f"{limit} net-negative sessions in a row")


def _counter_trips(reports: Reports, abort: dict[str, Any]) -> list[Trip]:
    c = reports.counters
    session = str((reports.heartbeat or {}).get("session", "0"))
    out: list[Trip] = []
    fills = c.get("ev_samples", 0.0)
    drift = c.get("ev_error_median_bps", 0.0)
    if fills >= float(abort.get("ev_drift_min_samples", 20)) and drift > float(
        abort.get("ev_drift_bps", 10.0)
    ):
        out.append(Trip(f"ev-drift-{session}", f"EV drift {drift:.1f} bps over target"))
    sustain_ms = 1000.0 * float(abort.get("latency_sustain_s", 1800.0))
    breach = c.get("latency_breach_ms", 0.0)
    if breach >= sustain_ms:
        out.append(
            Trip(f"latency-slo-{session}", f"latency SLO breached for {breach / 1000:.0f} s")
        )
    sims = c.get("sim_total", 0.0)
    sim_rate = _ratio(c.get("sim_failed", 0.0), sims)
    if sims >= float(abort.get("sim_min_samples", 20)) and sim_rate > float(
        abort.get("sim_failure_rate", 0.05)
    ):
        out.append(Trip(f"sim-failures-{session}", f"RPC simulation failures {sim_rate:.1%}"))
    bundles = c.get("bundles_sent", 0.0)
    rejected = _ratio(c.get("bundles_rejected", 0.0), bundles)
    # Rejections only count as a failure when RPC sends are not landing either.
    if bundles >= 20 and rejected > 0.05 and c.get("rpc_landed", 0.0) == 0:
        out.append(
            Trip(
                f"bundle-rejections-{session}", f"bundle rejections {rejected:.1%}, no RPC success"
            )
        )
    return out


def evaluate(
    reports: Reports,
    abort: dict[str, Any],
    effective_mode: Mode,
    handled: frozenset[str],
    last_heartbeat: str | None,
) -> Trip | None:
    """The first guard that holds and is not already handled (latched or re-armed)."""
    candidates: list[Trip] = []
    runtime = _runtime_trip(reports)
    if runtime is not None:
        candidates.append(runtime)
    sessions = _session_trip(reports, int(abort.get("negative_sessions", 2)))
    if sessions is not None:
        candidates.append(sessions)
    candidates += _counter_trips(reports, abort)
    # Only a heartbeat seen before can be lost; the id names the last one seen.
    if effective_mode == "live" and last_heartbeat and reports.heartbeat is None:
        candidates.append(
            Trip(f"heartbeat-lost-{last_heartbeat}", "runtime heartbeat lost while live")
        )
    for trip in candidates:
        if trip.trip_id not in handled:
            return trip
    return None
