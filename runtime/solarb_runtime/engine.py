"""The engine loop: source → MarketState → finders/sizer → guards → executor → journal.

The hot path is synchronous and its unit of work is a batch of accounts (what a source
delivered together: one sim slot, one RPC poll, one Redis read). The whole batch is stored,
each affected pool is decoded once (never on a half-updated state), the finders re-evaluate
the routes through the pools that changed, each opportunity gets a decision as it is
found, and a send goes to the executor, all before the next event is read. Decisions use
the source clock (`ts_ns`), so a replay decides exactly as the run it recorded; latency is
measured on the process's monotonic clock. Redis status and control are edges: throttled, and a
Redis failure is counted, never fatal.
"""

from __future__ import annotations

import gc
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import asdict, dataclass, field
from typing import NamedTuple, Protocol

from solders.pubkey import Pubkey

from solarb_runtime.domain.decision import Decision, ExecutionReport, GuardTrip, TripKind
from solarb_runtime.domain.mode import Mode
from solarb_runtime.domain.opportunity import Opportunity
from solarb_runtime.execution.base import Executor
from solarb_runtime.execution.shadow import ShadowExecutor
from solarb_runtime.market.hotstate import Control, HotState, HotStateUnavailable
from solarb_runtime.market.state import MarketState
from solarb_runtime.sources.base import (
    AccountBatch,
    AccountUpdate,
    Idle,
    SlotUpdate,
    Source,
    SourceEvent,
    batch_accounts,
)
from solarb_runtime.telemetry.metrics import RuntimeMetrics
from solarb_runtime.telemetry.tracing import TRACER_OFF, OpportunityTracer, StageTime, trace_id_hex

LATENCY_SAMPLES = 100_000
# Skip reasons that are states (they keep blocking until something changes), exported as
# `solarb_guard_blocking_state`; per-opportunity reasons (min_ev, duplicate) are not.
BLOCKING_GUARDS = (
    "killed",
    "tripped",
    "error_burst",
    "consecutive_fails",
    "stale_feed",
    "slot_lag",
    "tps",
    "notional_per_minute",
)
_REJECTION_CLASSES = (
    ("untracked", "untracked"),
    ("not supplied", "missing"),
    ("discriminator", "discriminator"),
    ("owner", "owner"),
    ("bytes", "size"),
    ("overrun", "size"),
    ("length", "size"),
)


def rejection_class(reason: str) -> str:
    """A bounded metric label for a decode rejection (reasons carry numbers and keys)."""
    lowered = reason.lower()
    for needle, label in _REJECTION_CLASSES:
        if needle in lowered:
            return label
    return "invalid"


def collect_due_garbage() -> None:
    """The collection CPython would have run by now (its own thresholds), if any."""
    (t0, t1, t2), (c0, c1, c2) = gc.get_threshold(), gc.get_count()
    if t0 and c0 >= t0:
        gc.collect(2 if c2 >= t2 and c1 >= t1 else 1 if c1 >= t1 else 0)


class Finder(Protocol):
    """Finding and sizing: exactly re-quoted opportunities through the changed pools.

    `find` may return a lazy iterable: the engine decides each opportunity as it comes, so
    the first one of a batch does not wait for the others to be sized. The market does
    not change while it iterates."""

    def find(
        self, market: MarketState, changed: AbstractSet[Pubkey], now_ns: int
    ) -> Iterable[Opportunity]: ...


class Gate(Protocol):
    """The blocking guards and abort conditions (risk)."""

    def decide(
        self, opportunity: Opportunity, market: MarketState, now_ns: int, mode: Mode
    ) -> Decision: ...

    def on_report(self, report: ExecutionReport, now_ns: int) -> None: ...

    def observe_latency(self, latency_ns: int, now_ns: int) -> None:
        """Tick→decision latency of one decision (the latency-SLO abort watches it)."""
        ...

    def trips(self, now_ns: int, mode: Mode) -> list[GuardTrip]:
        """Abort conditions that fired since the last call."""
        ...

    def counters(self) -> dict[str, int]: ...


class JournalSink(Protocol):
    """Durable records: `kind` is edge_snapshot | decision | submitted_tx | landed | guard_trip."""

    def write(self, kind: str, doc: dict[str, object]) -> None: ...


@dataclass(slots=True)
class StageTimes:
    """Cumulative ns per stage of the hot path, for the bench's breakdown."""

    decode: int = 0
    find: int = 0
    guard: int = 0
    execute: int = 0
    journal: int = 0


@dataclass(slots=True)
class EngineStats:
    events: int = 0
    # Accounts received (however they were batched) and the batches they came in.
    account_updates: int = 0
    batches: int = 0
    slot_updates: int = 0
    idles: int = 0
    pools_changed: int = 0
    opportunities: int = 0
    sent: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    ev_pred: int = 0
    ev_real: int = 0
    trips: list[GuardTrip] = field(default_factory=list)
    status_failures: int = 0
    control_applied: Counter[str] = field(default_factory=Counter)
    latency_ns: deque[int] = field(default_factory=lambda: deque(maxlen=LATENCY_SAMPLES))
    stages: StageTimes = field(default_factory=StageTimes)
    first_ts_ns: int | None = None
    last_ts_ns: int = 0
    slot: int = 0


def percentile(samples: Iterable[int], q: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return float(ordered[index])


def opportunity_doc(opp: Opportunity) -> dict[str, object]:
    return {
        "opportunity_id": opp.id,
        "kind": opp.kind,
        "token": str(opp.token),
        "size": opp.size,
        "gross_out": opp.gross_out,
        "costs": opp.costs,
        "ev_pred": opp.ev_pred,
        "ev_pred_bps": round(opp.ev_pred_bps, 4),
        "slot": opp.detected_slot,
        "ts_ns": opp.detected_ns,
        "legs": [
            {
                "venue": leg.venue,
                "pool": str(leg.pool),
                "mint_in": str(leg.mint_in),
                "mint_out": str(leg.mint_out),
                "amount_in": leg.amount_in,
                "amount_out": leg.amount_out,
                "min_out": leg.min_out,
            }
            for leg in opp.legs
        ],
    }


class _Settled(NamedTuple):
    """A report counted and told to the guards, with what its records need."""

    report: ExecutionReport
    opp: Opportunity | None
    traced: tuple[object, int] | None  # root span context, submit time


class Engine:
    """One strategy's loop over one source; every mode and source share it."""

    def __init__(
        self,
        *,
        name: str,
        mode: Mode,
        market: MarketState,
        finder: Finder,
        gate: Gate,
        executor: Executor,
        journal: JournalSink,
        hot: HotState | None = None,
        status_interval_ms: int = 250,
        clock_ns: Callable[[], int] = time.monotonic_ns,
        metrics: RuntimeMetrics | None = None,
        decimals: Mapping[Pubkey, int] | None = None,
        ramp_multiplier: float = 1.0,
        tracer: OpportunityTracer = TRACER_OFF,
    ) -> None:
        self.name = name
        self.tracer = tracer
        # Root span context and submit time per sent opportunity, until its report lands.
        self._traces: dict[str, tuple[object, int]] = {}
        self.ramp_multiplier = ramp_multiplier
        self.configured_mode: Mode = mode
        self.mode: Mode = mode
        self.market = market
        self.finder = finder
        self.gate = gate
        self.executor = executor
        self._executors: list[Executor] = [executor]
        self.journal = journal
        self.hot = hot
        self.status_interval_ns = status_interval_ms * 1_000_000
        self._clock_ns = clock_ns
        self._last_status_ns: int | None = None
        self.killed = False
        self.stats = EngineStats()
        self._opportunities: dict[str, Opportunity] = {}
        self.metrics = metrics
        # Token decimals turn atoms into the token units metrics are exported in.
        self._decimals = dict(decimals or {})
        self._rejections_seen: Counter[str] = Counter()
        self._sent = 0
        self._filled = 0
        self._blocking: str | None = None
        if metrics is not None:
            self._init_metrics(metrics)

    def _init_metrics(self, m: RuntimeMetrics) -> None:
        """Series that are true zeros until something happens (no "no data" panels)."""
        name = self.name
        m.set_mode(self.mode)
        for counter in (m.tips, m.fees, m.ev_predicted, m.ev_realised):
            counter.labels(name).inc(0)
        m.pnl.labels(name).set(0.0)
        m.inclusion.labels(name).set(0.0)
        m.kill_switch.labels(name).set(0.0)
        m.ramp.labels(name).set(self.ramp_multiplier)
        for guard in BLOCKING_GUARDS:
            m.guard_blocking.labels(name, guard).set(0.0)

    # --- the loop -----------------------------------------------------------------------

    def run(
        self,
        source: Source,
        *,
        duration_s: float | None = None,
        should_stop: Callable[[], bool] | None = None,
        on_event: Callable[[Engine], None] | None = None,
    ) -> EngineStats:
        """Consume `source` until it ends, `duration_s` of wall time passes, or stop."""
        deadline = None if duration_s is None else self._clock_ns() + int(duration_s * 1e9)
        # The cyclic GC runs between events, never inside one: a collection that starts in
        # the middle of a batch stalls its decisions (tens of ms on a big market).
        automatic_gc = gc.isenabled()
        gc.disable()
        try:
            for event in source.events():
                self.handle(event)
                collect_due_garbage()
                if on_event is not None:
                    on_event(self)
                if should_stop is not None and should_stop():
                    break
                if deadline is not None and self._clock_ns() >= deadline:
                    break
        finally:
            if automatic_gc:
                gc.enable()
            source.close()
        self.flush_status(force=True)
        return self.stats

    def handle(self, event: SourceEvent) -> None:
        """One event through the whole pipeline (never raises on bad input)."""
        started = self._clock_ns()  # the event's arrival: tick->decision runs from here
        stats = self.stats
        stats.events += 1
        now = event.ts_ns
        if stats.first_ts_ns is None:
            stats.first_ts_ns = now
        stats.last_ts_ns = max(stats.last_ts_ns, now)
        # Paper fills due before this event see the market as it was until now. Their
        # outcomes reach the guards at once; their records wait until the event's
        # decisions are out (a landing's journal write must not delay a decision).
        landed = self._collect(now)
        try:
            self._dispatch(event, now, started)
        finally:
            for settled in landed:
                self._write_report(settled, now)

    def _dispatch(self, event: SourceEvent, now: int, started: int) -> None:
        stats = self.stats
        if isinstance(event, AccountBatch | AccountUpdate):
            accounts = batch_accounts(event)
            stats.account_updates += len(accounts)
            stats.batches += 1
            changed = self.market.apply_batch(accounts, now)
            decoded = self._clock_ns()
            stats.stages.decode += decoded - started
            if changed:
                stats.pools_changed += len(changed)
                if self.metrics is not None:
                    self._observe_decoded(changed)
                self._evaluate(changed, now, started)
            return
        if isinstance(event, SlotUpdate):
            stats.slot_updates += 1
            self.market.on_slot(event.slot, now)
            stats.slot = self.market.slot
        elif isinstance(event, Idle):
            stats.idles += 1
        self._check_trips(now)
        self.flush_status()

    def _evaluate(self, changed: AbstractSet[Pubkey], now: int, started: int) -> None:
        stats = self.stats
        clock = self._clock_ns
        # Decide and send every opportunity as it is found, then journal them all: a
        # later decision must not wait for an earlier one's records, nor for the sizing
        # of the opportunities after it (the journal order per opportunity is unchanged).
        done: list[tuple[Opportunity, Decision, ExecutionReport | None, tuple[int, ...]]] = []
        found = iter(self.finder.find(self.market, changed, now))
        while True:
            t0 = clock()
            opp = next(found, None)
            t1 = clock()
            stats.stages.find += t1 - t0
            if opp is None:
                break
            stats.opportunities += 1
            g0 = t1
            decision = self.gate.decide(opp, self.market, now, self.mode)
            if self.killed and decision.sent:
                decision = Decision(opp.id, "skip", self.mode, "killed", "kill switch", now)
            g1 = clock()
            stats.stages.guard += g1 - g0
            stats.latency_ns.append(g1 - started)
            self.gate.observe_latency(g1 - started, now)
            if self.metrics is not None:
                self._observe_decision(opp, decision, g1 - started)
            report: ExecutionReport | None = None
            if decision.sent:
                stats.sent += 1
                stats.ev_pred += opp.ev_pred
                self._opportunities[opp.id] = opp
                report = self.executor.submit(opp, decision)
            else:
                stats.skipped[decision.reason or "unknown"] += 1
            g2 = clock()
            stats.stages.execute += g2 - g1
            done.append((opp, decision, report, (started, t0, t1, g0, g1, g2)))
        for opp, decision, report, stamps in done:
            self._record(opp, decision, stamps, now)
            if report is not None:
                self._report(report, now)

    def _record(
        self, opp: Opportunity, decision: Decision, stamps: tuple[int, ...], now: int
    ) -> None:
        """The opportunity's journal records (and its trace, when tracing is on)."""
        j0 = self._clock_ns()
        trace_id = self._trace(opp, decision, stamps) if self.tracer.enabled else None
        latency = stamps[4] - stamps[0]
        self.journal.write("edge_snapshot", {**opportunity_doc(opp), "trace_id": trace_id})
        self.journal.write(
            "decision", {**_decision_doc(decision, opp, latency), "trace_id": trace_id}
        )
        if decision.sent:
            self.journal.write(
                "submitted_tx",
                {
                    "opportunity_id": opp.id,
                    "mode": self.mode,
                    "ts_ns": now,
                    "size": opp.size,
                    "trace_id": trace_id,
                },
            )
        self.stats.stages.journal += self._clock_ns() - j0

    def _trace(self, opp: Opportunity, decision: Decision, stamps: tuple[int, ...]) -> str | None:
        """Spans from the stamps the loop took anyway (off the decision's critical path)."""
        started, t0, t1, g0, g1, g2 = stamps
        stages = [
            StageTime("detect", started, t0),
            StageTime("size", t0, t1),
            StageTime("guard", g0, g1),
        ]
        if decision.sent:
            stages.append(StageTime("submit", g1, g2))
        venues = ",".join(sorted({leg.venue for leg in opp.legs}))
        context = self.tracer.record(
            opp.id,
            stages,
            {
                "solarb.strategy": self.name,
                "solarb.kind": opp.kind,
                "solarb.venues": venues,
                "solarb.pools": ",".join(str(leg.pool) for leg in opp.legs),
                "solarb.size": opp.size,
                "solarb.ev_pred": opp.ev_pred,
                "solarb.mode": self.mode,
                "solarb.decision": decision.action,
                "solarb.reason": decision.reason or "",
            },
        )
        if context is not None and decision.sent:
            self._traces[opp.id] = (context, g2)
        return trace_id_hex(context)

    def _collect(self, now: int) -> list[_Settled]:
        """Reports now due, each settled (counted, told to the guards), not yet written."""
        return [self._settle(report, now) for ex in self._executors for report in ex.poll(now)]

    def _report(self, report: ExecutionReport, now: int) -> None:
        self._write_report(self._settle(report, now), now)

    def _settle(self, report: ExecutionReport, now: int) -> _Settled:
        """Count the report and tell the guards; take what its records need."""
        self.stats.outcomes[report.outcome] += 1
        if report.ev_real is not None:
            self.stats.ev_real += report.ev_real
        opp = self._opportunities.pop(report.opportunity_id, None)
        traced = self._traces.pop(report.opportunity_id, None)
        self.gate.on_report(report, now)
        return _Settled(report, opp, traced)

    def _write_report(self, settled: _Settled, now: int) -> None:
        """The report's metrics, trace and `landed` record."""
        report, opp, traced = settled
        if self.metrics is not None:
            self._observe_report(report, opp)
        doc = asdict(report)
        doc["ts_ns"] = now
        if opp is not None:
            doc["ev_pred"] = opp.ev_pred
        if traced is not None:
            context, submitted = traced
            self.tracer.record_late(
                context,  # type: ignore[arg-type]
                StageTime("land", submitted, self._clock_ns()),
                {"solarb.outcome": report.outcome, "solarb.ev_real": report.ev_real or 0},
                error=report.error,
            )
            doc["trace_id"] = trace_id_hex(context)  # type: ignore[arg-type]
        self.journal.write("landed", doc)

    # --- modes, trips, control ----------------------------------------------------------

    def _check_trips(self, now: int) -> None:
        for trip in self.gate.trips(now, self.mode):
            self.trip(trip)

    def trip(self, trip: GuardTrip) -> None:
        """Record a trip and drop to its `mode_after` (shadow): latched for the session."""
        self.stats.trips.append(trip)
        self.journal.write("guard_trip", asdict(trip))
        self.set_mode(trip.mode_after)
        if self.metrics is not None:
            self.metrics.guard_trips.labels(self.name, trip.kind).inc()
            self.metrics.kill_switch.labels(self.name).set(1.0 if self.killed else 0.0)
        if self.hot is not None:
            try:
                self.hot.push_trip(self.name, asdict(trip))
            except HotStateUnavailable:
                self.stats.status_failures += 1

    def set_mode(self, mode: Mode) -> None:
        if mode == self.mode:
            return
        self.mode = mode
        if self.metrics is not None:
            self.metrics.set_mode(mode)
        if mode == "shadow" and not isinstance(self.executor, ShadowExecutor):
            # In-flight sends still report through the old executor's poll.
            self.executor = ShadowExecutor()
            self._executors.append(self.executor)

    def kill(self, kind: TripKind, reason: str, now: int) -> None:
        """The kill switch (control key or signal): every later send becomes skip(killed)."""
        if self.killed:
            return
        self.killed = True
        self.stats.control_applied[kind] += 1
        self.trip(GuardTrip(kind, reason, 1, 1, now, self.mode))

    def apply_control(self, control: Control, now: int) -> None:
        if control.kill and not self.killed:
            self.kill("manual_kill", control.reason or "kill key", now)
        if control.mode == "shadow" and self.mode != "shadow":
            self.stats.control_applied["shadow"] += 1
            self.trip(
                GuardTrip("manual_kill", control.reason or "shadow key", 1, 1, now, self.mode)
            )

    def flush_status(self, *, force: bool = False) -> None:
        """Heartbeat, mode and guard counters out; control keys in (throttled)."""
        if self.hot is None and self.metrics is None:
            return
        wall = self._clock_ns()
        if (
            not force
            and self._last_status_ns is not None
            and wall - self._last_status_ns < self.status_interval_ns
        ):
            return
        self._last_status_ns = wall
        if self.metrics is not None:
            self._observe_market()
        if self.hot is None:
            return
        counters = dict(self.gate.counters())
        counters.update({f"skip_{k}": v for k, v in self.stats.skipped.items()})
        counters["sent"] = self.stats.sent
        heartbeat: dict[str, object] = {
            "ts_ns": time.time_ns(),
            "source_ts_ns": self.stats.last_ts_ns,
            "slot": self.stats.slot,
            "mode": self.mode,
            "killed": self.killed,
        }
        try:
            start = time.monotonic_ns()
            self.hot.write_status(self.name, heartbeat=heartbeat, mode=self.mode, counters=counters)
            written = time.monotonic_ns()
            control = self.hot.read_control(self.name)
            done = time.monotonic_ns()
        except HotStateUnavailable:
            self.stats.status_failures += 1
            return
        if self.metrics is not None:
            self.metrics.redis_latency.labels(self.name, "write_status").observe(
                (written - start) / 1e9
            )
            self.metrics.redis_latency.labels(self.name, "read_control").observe(
                (done - written) / 1e9
            )
        self.apply_control(control, self.stats.last_ts_ns)

    # --- metrics (only when a RuntimeMetrics is attached) ----------------------------------

    def _units(self, token: Pubkey, atoms: int) -> float:
        return atoms / 10.0 ** self._decimals.get(token, 0)

    def _observe_decision(self, opp: Opportunity, decision: Decision, latency_ns: int) -> None:
        m, name = self.metrics, self.name
        assert m is not None
        m.found.labels(name, opp.kind).inc()
        m.decisions.labels(name, decision.action, decision.reason or "").inc()
        m.stage_latency.labels(name, "tick_to_decision").observe(latency_ns / 1e9)
        # A guard "blocks" while the latest decision was skipped by it; a send clears it.
        # Only a change touches the gauges: this runs for every decision.
        blocking = decision.reason if decision.reason in BLOCKING_GUARDS else None
        if blocking != self._blocking:
            if self._blocking is not None:
                m.guard_blocking.labels(name, self._blocking).set(0.0)
            if blocking is not None:
                m.guard_blocking.labels(name, blocking).set(1.0)
            self._blocking = blocking
        if decision.sent:
            m.ev_predicted.labels(name).inc(max(0.0, self._units(opp.token, opp.ev_pred)))

    def _observe_report(self, report: ExecutionReport, opp: Opportunity | None) -> None:
        m, name = self.metrics, self.name
        assert m is not None
        m.results.labels(name, self.mode, report.outcome).inc()
        if report.outcome != "shadow":
            self._sent += 1
            self._filled += report.outcome in ("landed", "paper")
            m.inclusion.labels(name).set(self._filled / self._sent)
        if report.ev_real is None or opp is None:
            return
        real = self._units(opp.token, report.ev_real)
        if real > 0:
            m.ev_realised.labels(name).inc(real)
        m.pnl.labels(name).inc(real)
        if opp.size > 0:
            m.ev_error.labels(name).observe(abs(opp.ev_pred - report.ev_real) * 10_000 / opp.size)

    def _observe_decoded(self, changed: AbstractSet[Pubkey]) -> None:
        assert self.metrics is not None
        market = self.market
        for pool in changed:
            if market.current(pool) is not None:
                kind = market.venue_of(pool).kind
                self.metrics.updates.labels(self.name, kind, "decoded", "").inc()

    def _observe_market(self) -> None:
        """Periodic gauges: heartbeat, feed age and slot lag per venue, decode rejections."""
        m, name, market = self.metrics, self.name, self.market
        assert m is not None
        m.heartbeat.labels(name).set(time.time())
        now = self.stats.last_ts_ns
        newest: dict[str, float] = {}
        lag: dict[str, int] = {}
        for pool in market.addresses():
            kind = market.venue_of(pool).kind
            age = market.pool_age_ms(pool, now)
            if age is not None:
                newest[kind] = min(newest.get(kind, age), age)
            pool_lag = market.slot_lag(pool)
            if pool_lag is not None:
                lag[kind] = min(lag.get(kind, pool_lag), pool_lag)
        for venue, age in newest.items():
            m.feed_age.labels(name, venue).set(age / 1e3)
        for venue, slots in lag.items():
            m.feed_slot_lag.labels(name, venue).set(slots)
        for key, count in market.rejections.items():
            delta = count - self._rejections_seen[key]
            if delta > 0:
                venue, _, reason = key.partition(": ")
                m.updates.labels(name, venue, "rejected", rejection_class(reason)).inc(delta)
                self._rejections_seen[key] = count

    def summary(self) -> dict[str, object]:
        s = self.stats
        lat = list(s.latency_ns)
        return {
            "name": self.name,
            "mode_configured": self.configured_mode,
            "mode_final": self.mode,
            "killed": self.killed,
            "events": s.events,
            "account_updates": s.account_updates,
            "batches": s.batches,
            "slots": s.slot_updates,
            "opportunities": s.opportunities,
            "sent": s.sent,
            "skipped": dict(sorted(s.skipped.items())),
            "outcomes": dict(sorted(s.outcomes.items())),
            "ev_pred_atoms": s.ev_pred,
            "ev_real_atoms": s.ev_real,
            "trips": [asdict(t) for t in s.trips],
            "latency_us": {
                "p50": percentile(lat, 0.5) / 1e3,
                "p99": percentile(lat, 0.99) / 1e3,
                "samples": len(lat),
            },
            "status_failures": s.status_failures,
            "decode_rejections": dict(self.market.rejections),
            "source_span_ms": ((s.last_ts_ns - (s.first_ts_ns or s.last_ts_ns)) / 1e6),
        }


def _decision_doc(decision: Decision, opp: Opportunity, latency_ns: int) -> dict[str, object]:
    # latency_ns is wall-clock (monotonic) time: the one field a replay does not reproduce.
    return {
        "latency_ns": latency_ns,
        "opportunity_id": decision.opportunity_id,
        "action": decision.action,
        "mode": decision.mode,
        "reason": decision.reason,
        "detail": decision.detail,
        "ts_ns": decision.decided_ns,
        "size": opp.size,
        "ev_pred": opp.ev_pred,
        "route": opp.route,
    }
