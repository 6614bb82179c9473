"""Blocking guards: every opportunity passes all of them or is skipped with a reason.

`Guards.decide` is the engine's gate: it checks, in order, the kill switches (manual,
error burst, consecutive fails), the staleness of the state it was found on, the minimum
EV after all costs, the notional caps, the dedupe TTL and the TPS throttle. A send is
recorded against the caps, the throttle and the dedupe set at decision time. Reports
feed the fail counters and the abort monitor; `trips` drains the resulting `GuardTrip`s.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

from solders.pubkey import Pubkey

from solarb_runtime.config import StrategyConfig, to_atoms
from solarb_runtime.domain.decision import (
    Decision,
    ExecutionReport,
    GuardTrip,
    SkipReason,
    TripKind,
)
from solarb_runtime.domain.mode import Mode
from solarb_runtime.domain.opportunity import Opportunity
from solarb_runtime.market.state import MarketState
from solarb_runtime.risk.abort import NS_PER_S, AbortLimits, AbortMonitor

NS_PER_MS = 1_000_000
_MINUTE_NS = 60 * NS_PER_S
_PENDING_MAX = 10_000  # sent opportunities awaiting a report (bounded: reports can be lost)


@dataclass(frozen=True, slots=True)
class GuardLimits:
    """The guards' limits in atoms of the size token and in ns of the source clock."""

    min_ev: int
    min_ev_bps: float
    max_notional_per_trade: int
    max_notional_per_minute: int
    max_consecutive_fails: int
    error_burst_count: int
    error_burst_window_ns: int
    max_tps: float
    max_feed_age_ms: float
    max_slot_lag: int
    dedupe_ttl_ns: int

    @classmethod
    def from_config(cls, cfg: StrategyConfig) -> GuardLimits:
        decimals = cfg.tokens[cfg.size_token].decimals
        g, t = cfg.guards, cfg.thresholds
        return cls(
            min_ev=to_atoms(t.min_ev, decimals),
            min_ev_bps=t.min_ev_bps,
            max_notional_per_trade=to_atoms(g.max_notional_per_trade, decimals),
            max_notional_per_minute=to_atoms(g.max_notional_per_minute, decimals),
            max_consecutive_fails=g.max_consecutive_fails,
            error_burst_count=g.error_burst.count,
            error_burst_window_ns=int(g.error_burst.window_s * NS_PER_S),
            max_tps=g.max_tps,
            max_feed_age_ms=float(g.max_feed_age_ms),
            max_slot_lag=g.max_slot_lag,
            dedupe_ttl_ns=g.dedupe_ttl_ms * NS_PER_MS,
        )


def abort_limits(cfg: StrategyConfig) -> AbortLimits:
    a = cfg.guards.abort
    return AbortLimits(
        negative_sessions=a.negative_sessions,
        ev_drift_bps=a.ev_drift_bps,
        ev_drift_min_samples=a.ev_drift_min_samples,
        latency_slo_ns=int(a.latency_slo_ms * NS_PER_MS),
        latency_sustain_ns=int(a.latency_sustain_s * NS_PER_S),
        sim_failure_rate=a.sim_failure_rate,
        sim_min_samples=a.sim_min_samples,
    )


# Converts (token, atoms of it) to atoms of the size token; identity when all routes
# start in the size token.
Valuer = Callable[[Pubkey, int], int]


def _same_token(token: Pubkey, atoms: int) -> int:
    del token
    return atoms


class Guards:
    """The blocking guards and the abort monitor behind one gate (the engine's `Gate`)."""

    def __init__(
        self, limits: GuardLimits, aborts: AbortMonitor, *, value: Valuer = _same_token
    ) -> None:
        self.limits = limits
        self.aborts = aborts
        self.value = value
        self.skips: Counter[str] = Counter()
        self.sends = 0
        self.consecutive_fails = 0
        self._killed: TripKind | None = None
        self._kill_reason = ""
        self._sent_at: deque[tuple[int, int]] = deque()  # (ts_ns, notional) of sends
        self._minute_notional = 0
        self._errors: deque[int] = deque()
        self._dedupe: dict[str, int] = {}
        self._pending: dict[str, tuple[int, int]] = {}  # id → (ev_pred, size)
        self._trips: list[tuple[TripKind, str, float, float]] = []

    # -- the gate ----------------------------------------------------------------------

    def decide(
        self, opportunity: Opportunity, market: MarketState, now_ns: int, mode: Mode
    ) -> Decision:
        reason, detail = self._check(opportunity, market, now_ns)
        if reason is not None:
            self.skips[reason] += 1
            return Decision(opportunity.id, "skip", mode, reason, detail, now_ns)
        self._record_send(opportunity, now_ns)
        return Decision(opportunity.id, "send", mode, None, "", now_ns)

    def _check(
        self, opp: Opportunity, market: MarketState, now_ns: int
    ) -> tuple[SkipReason | None, str]:
        lim = self.limits
        if self._killed is not None:
            reason: SkipReason = "error_burst" if self._killed == "error_burst" else "killed"
            if self._killed == "consecutive_fails":
                reason = "consecutive_fails"
            return reason, self._kill_reason
        age = market.feed_age_ms(now_ns)
        if age is None or age > lim.max_feed_age_ms:
            return "stale_feed", f"feed age {age} ms > {lim.max_feed_age_ms:g} ms"
        lag = market.feed_lag()
        if lag > lim.max_slot_lag:
            return "slot_lag", f"feed {lag} slots behind > {lim.max_slot_lag}"
        ev = self.value(opp.token, opp.ev_pred)
        if ev < lim.min_ev:
            return "min_ev", f"ev {ev} < {lim.min_ev} atoms"
        if opp.ev_pred_bps < lim.min_ev_bps:
            return "min_ev_bps", f"ev {opp.ev_pred_bps:.2f} bps < {lim.min_ev_bps:g} bps"
        notional = self.value(opp.token, opp.size)
        if notional > lim.max_notional_per_trade:
            return "notional_per_trade", f"{notional} > {lim.max_notional_per_trade} atoms"
        seen = self._dedupe.get(opp.route)
        if seen is not None and now_ns - seen < lim.dedupe_ttl_ns:
            return "duplicate", f"same route sent {(now_ns - seen) / NS_PER_MS:.0f} ms ago"
        self._expire(now_ns)
        if self._minute_notional + notional > lim.max_notional_per_minute:
            return (
                "notional_per_minute",
                f"{self._minute_notional} + {notional} > {lim.max_notional_per_minute} atoms",
            )
        recent = 0
        for ts, _ in reversed(self._sent_at):  # newest first: stop at the first older one
            if now_ns - ts >= NS_PER_S:
                break
            recent += 1
        if recent + 1 > lim.max_tps:
            return "tps", f"{recent} sends in the last second (max {lim.max_tps:g}/s)"
        return None, ""

    def _expire(self, now_ns: int) -> None:
        while self._sent_at and now_ns - self._sent_at[0][0] >= _MINUTE_NS:
            _, notional = self._sent_at.popleft()
            self._minute_notional -= notional
        ttl = self.limits.dedupe_ttl_ns
        if len(self._dedupe) > 1024:
            self._dedupe = {k: t for k, t in self._dedupe.items() if now_ns - t < ttl}

    def _record_send(self, opp: Opportunity, now_ns: int) -> None:
        notional = self.value(opp.token, opp.size)
        self.sends += 1
        self._sent_at.append((now_ns, notional))
        self._minute_notional += notional
        self._dedupe[opp.route] = now_ns
        if len(self._pending) >= _PENDING_MAX:
            self._pending.pop(next(iter(self._pending)))
        self._pending[opp.id] = (self.value(opp.token, opp.ev_pred), notional)

    # -- feedback ----------------------------------------------------------------------

    def on_report(self, report: ExecutionReport, now_ns: int) -> None:
        pending = self._pending.pop(report.opportunity_id, None)
        if report.is_error:
            self.consecutive_fails += 1
            self._errors.append(now_ns)
            window = self.limits.error_burst_window_ns
            while self._errors and now_ns - self._errors[0] > window:
                self._errors.popleft()
            if len(self._errors) >= self.limits.error_burst_count:
                self._kill(
                    "error_burst",
                    f"{len(self._errors)} errors within {window / NS_PER_S:g} s",
                    len(self._errors),
                    self.limits.error_burst_count,
                )
            if self.consecutive_fails >= self.limits.max_consecutive_fails:
                self._kill(
                    "consecutive_fails",
                    f"{self.consecutive_fails} failed sends in a row",
                    self.consecutive_fails,
                    self.limits.max_consecutive_fails,
                )
            return
        if report.outcome in ("landed", "paper"):
            self.consecutive_fails = 0
            if pending is not None and report.ev_real is not None:
                ev_pred, size = pending
                self.aborts.observe_fill(ev_pred, report.ev_real, size)

    def observe_latency(self, latency_ns: int, now_ns: int) -> None:
        """Tick→decision latency of one decision (feeds the latency SLO abort)."""
        self.aborts.observe_latency(latency_ns, now_ns)

    def observe_simulation(self, ok: bool) -> None:
        """One RPC simulation result (feeds the simulation-failure-rate abort)."""
        self.aborts.observe_simulation(ok)

    def kill(self, reason: str, *, signal: bool = False) -> None:
        """Manual kill switch (a Redis control key, or a signal): blocks every send."""
        self._kill("signal" if signal else "manual_kill", reason, 1, 1)

    def _kill(self, kind: TripKind, reason: str, value: float, threshold: float) -> None:
        if self._killed is None:
            self._killed = kind
            self._kill_reason = reason
            self._trips.append((kind, reason, float(value), float(threshold)))

    def rearm(self) -> None:
        """Clear the kill switches and abort latches (an explicit operator act)."""
        self._killed = None
        self._kill_reason = ""
        self.consecutive_fails = 0
        self._errors.clear()
        self.aborts.reset()

    @property
    def killed(self) -> TripKind | None:
        return self._killed

    def trips(self, now_ns: int, mode: Mode) -> list[GuardTrip]:
        out = [GuardTrip(k, r, v, t, now_ns, mode) for k, r, v, t in self._trips]
        self._trips.clear()
        out.extend(self.aborts.trips(now_ns, mode))
        return out

    def counters(self) -> dict[str, int]:
        out = {f"skip_{reason}": n for reason, n in self.skips.items()}
        out["sends"] = self.sends
        out["consecutive_fails"] = self.consecutive_fails
        out["killed"] = int(self._killed is not None)
        out["abort_latched"] = len(self.aborts.latched)
        return out
