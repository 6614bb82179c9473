"""Abort conditions: evidence that the strategy's model of the market is wrong.

Unlike the blocking guards these do not judge one opportunity; they watch the stream of
outcomes and, when one holds, produce a `GuardTrip` once (latched until `reset`). The
runtime answers a trip by dropping itself to shadow.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from solarb_runtime.domain.decision import GuardTrip, TripKind
from solarb_runtime.domain.mode import Mode

NS_PER_S = 1_000_000_000


@dataclass(frozen=True, slots=True)
class AbortLimits:
    """Thresholds of the abort conditions (from `guards.abort` in the config)."""

    negative_sessions: int = 2
    ev_drift_bps: float = 10.0
    ev_drift_min_samples: int = 20
    latency_slo_ns: int = 50_000_000
    latency_sustain_ns: int = 30 * NS_PER_S
    sim_failure_rate: float = 0.05
    sim_min_samples: int = 20
    window: int = 200


def negative_streak(session_pnls: Iterable[int]) -> int:
    """Net-negative sessions in a row at the end of `session_pnls` (oldest first)."""
    streak = 0
    for pnl in session_pnls:
        streak = streak + 1 if pnl < 0 else 0
    return streak


class AbortMonitor:
    """Evaluates the abort conditions on the samples it is fed."""

    def __init__(self, limits: AbortLimits) -> None:
        self.limits = limits
        self._drift_bps: deque[float] = deque(maxlen=limits.window)
        self._sims: deque[bool] = deque(maxlen=limits.window)
        self._breach_since: int | None = None
        self._latency_worst_ns = 0
        self._session_pnls: list[int] = []
        self._latched: set[TripKind] = set()
        self._pending: list[tuple[TripKind, str, float, float]] = []

    # -- samples -----------------------------------------------------------------------

    def observe_fill(self, ev_pred: int, ev_real: int, size: int) -> None:
        """A filled trade: its predicted and realised EV (atoms) and its size."""
        if size > 0:
            self._drift_bps.append(abs(ev_pred - ev_real) * 10_000 / size)
        lim = self.limits
        if len(self._drift_bps) >= lim.ev_drift_min_samples:
            median = statistics.median(self._drift_bps)
            if median > lim.ev_drift_bps:
                self._fire(
                    "ev_drift",
                    f"median |ev_pred - ev_real| {median:.2f} bps over {lim.ev_drift_bps} bps",
                    median,
                    lim.ev_drift_bps,
                )

    def observe_latency(self, latency_ns: int, now_ns: int) -> None:
        """One tick→decision latency; a breach must last `latency_sustain` to trip."""
        lim = self.limits
        if latency_ns <= lim.latency_slo_ns:
            self._breach_since = None
            self._latency_worst_ns = 0
            return
        if self._breach_since is None:
            self._breach_since = now_ns
        self._latency_worst_ns = max(self._latency_worst_ns, latency_ns)
        if now_ns - self._breach_since >= lim.latency_sustain_ns:
            sustained_s = (now_ns - self._breach_since) / NS_PER_S
            self._fire(
                "latency_slo",
                f"latency over {lim.latency_slo_ns / 1e6:g} ms for {sustained_s:.1f} s",
                self._latency_worst_ns / 1e6,
                lim.latency_slo_ns / 1e6,
            )

    def observe_simulation(self, ok: bool) -> None:
        """One RPC transaction simulation (dry-run and live modes)."""
        self._sims.append(ok)
        lim = self.limits
        if len(self._sims) >= lim.sim_min_samples:
            rate = self._sims.count(False) / len(self._sims)
            if rate > lim.sim_failure_rate:
                self._fire(
                    "sim_failure_rate",
                    f"simulation failure rate {rate:.1%} over {lim.sim_failure_rate:.1%}",
                    rate,
                    lim.sim_failure_rate,
                )

    def observe_sessions(self, session_pnls: Iterable[int]) -> None:
        """Net PnL of past sessions, oldest first (from their summaries)."""
        self._session_pnls = list(session_pnls)
        streak = negative_streak(self._session_pnls)
        if streak >= self.limits.negative_sessions:
            self._fire(
                "negative_sessions",
                f"{streak} net-negative sessions in a row",
                streak,
                self.limits.negative_sessions,
            )

    # -- trips -------------------------------------------------------------------------

    def _fire(self, kind: TripKind, reason: str, value: float, threshold: float) -> None:
        if kind not in self._latched:
            self._latched.add(kind)
            self._pending.append((kind, reason, float(value), float(threshold)))

    def trips(self, now_ns: int, mode: Mode) -> list[GuardTrip]:
        """Conditions that fired since the last call, as trip records."""
        out = [GuardTrip(k, r, v, t, now_ns, mode) for k, r, v, t in self._pending]
        self._pending.clear()
        return out

    @property
    def latched(self) -> frozenset[TripKind]:
        return frozenset(self._latched)

    def reset(self) -> None:
        """Re-arm (an explicit, recorded act by an operator)."""
        self._latched.clear()
        self._drift_bps.clear()
        self._sims.clear()
        self._breach_since = None
