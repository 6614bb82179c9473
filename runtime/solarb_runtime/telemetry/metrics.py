"""The runtime's Prometheus metrics: one catalogue, named `solarb_<subsystem>_<what>_<unit>`.

Dashboards and alert rules in `grafana/` use exactly these names; a test scrapes a running
runtime and checks that every name and label they use exists. Label values are bounded:
`strategy` (one per process), `venue` (venue kinds), `reason`/`guard`/`stage`/`outcome`/
`mode` (closed sets in the domain), `endpoint` (configured endpoints only), `op`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

M = TypeVar("M", Counter, Gauge, Histogram)

# Latency buckets from 10 µs to 30 s: the hot path lives in microseconds, landing in seconds.
LATENCY_BUCKETS = (
    1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2,
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
)  # fmt: skip
EV_ERROR_BUCKETS = (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
MODES = ("shadow", "paper", "dry-run", "live")


class RuntimeMetrics:
    """Every runtime metric, registered on one registry (the process's or a test's)."""

    def __init__(self, strategy: str, registry: CollectorRegistry | None = None) -> None:
        self.strategy = strategy
        self.registry = registry if registry is not None else CollectorRegistry()
        self.catalogue: dict[str, tuple[str, ...]] = {}
        s = ("strategy",)
        # Feeds
        self.feed_age = self._add(
            Gauge,
            "solarb_feed_age_seconds",
            "Age of the newest account update per venue",
            (*s, "venue"),
        )
        self.feed_slot_lag = self._add(
            Gauge,
            "solarb_feed_slot_lag_slots",
            "Cluster slot minus the newest slot seen per venue",
            (*s, "venue"),
        )
        self.updates = self._add(
            Counter,
            "solarb_feed_updates_total",
            "Account updates by result (decoded | rejected) and reason",
            (*s, "venue", "result", "reason"),
        )
        # Opportunities and decisions
        self.found = self._add(
            Counter,
            "solarb_strategy_opportunities_found_total",
            "Opportunities found, by kind (edge | cycle)",
            (*s, "kind"),
        )
        self.decisions = self._add(
            Counter,
            "solarb_strategy_decisions_total",
            "Decisions: send, or skip with the guard's reason",
            (*s, "action", "reason"),
        )
        self.results = self._add(
            Counter,
            "solarb_execution_results_total",
            "Execution reports by mode and outcome (landed | failed | dropped | shadow | paper)",
            (*s, "mode", "outcome"),
        )
        self.inclusion = self._add(
            Gauge,
            "solarb_execution_inclusion_ratio",
            "Landed / sent over the recent window",
            s,
        )
        self.tips = self._add(
            Counter,
            "solarb_execution_tips_lamports_total",
            "Tips paid",
            s,
        )
        self.fees = self._add(
            Counter,
            "solarb_execution_fees_lamports_total",
            "Transaction and priority fees paid",
            s,
        )
        # Money
        self.ev_predicted = self._add(
            Counter,
            "solarb_pnl_ev_predicted_quote_total",
            "Predicted EV of sent opportunities, in quote-token units",
            s,
        )
        self.ev_realised = self._add(
            Counter,
            "solarb_pnl_ev_realised_quote_total",
            "Realised EV of filled opportunities, in quote-token units",
            s,
        )
        self.ev_error = self._add(
            Histogram,
            "solarb_pnl_ev_error_bps",
            "|ev_pred - ev_real| per fill, in bps of size",
            s,
            buckets=EV_ERROR_BUCKETS,
        )
        self.pnl = self._add(
            Gauge,
            "solarb_pnl_session_quote",
            "Realised PnL of this session, in quote-token units",
            s,
        )
        # Guards and mode
        self.guard_blocking = self._add(
            Gauge,
            "solarb_guard_blocking_state",
            "1 while the guard blocks sends",
            (*s, "guard"),
        )
        self.guard_trips = self._add(
            Counter,
            "solarb_guard_trips_total",
            "Abort-guard trips (runtime dropped to shadow)",
            (*s, "guard"),
        )
        self.kill_switch = self._add(
            Gauge,
            "solarb_guard_kill_switch_state",
            "1 while the manual kill switch is engaged",
            s,
        )
        self.mode = self._add(
            Gauge,
            "solarb_mode_effective_state",
            "1 for the effective mode, 0 for the others",
            (*s, "mode"),
        )
        self.ramp = self._add(
            Gauge,
            "solarb_ramp_multiplier_ratio",
            "Effective size multiplier from the ramp",
            s,
        )
        self.heartbeat = self._add(
            Gauge,
            "solarb_heartbeat_timestamp_seconds",
            "Unix time of the engine's last tick",
            s,
        )
        # Latency and I/O
        self.stage_latency = self._add(
            Histogram,
            "solarb_latency_stage_seconds",
            "Stage latency: tick_to_decision | decision_to_submit | submit_to_land",
            (*s, "stage"),
            buckets=LATENCY_BUCKETS,
        )
        self.rpc_latency = self._add(
            Histogram,
            "solarb_rpc_request_duration_seconds",
            "RPC request latency per configured endpoint",
            (*s, "endpoint", "method"),
            buckets=LATENCY_BUCKETS,
        )
        self.rpc_errors = self._add(
            Counter,
            "solarb_rpc_errors_total",
            "RPC errors per configured endpoint and error code",
            (*s, "endpoint", "code"),
        )
        self.redis_latency = self._add(
            Histogram,
            "solarb_redis_op_duration_seconds",
            "Redis operation latency",
            (*s, "op"),
            buckets=LATENCY_BUCKETS,
        )

    def _add(self, kind: type[M], name: str, doc: str, labels: tuple[str, ...], **kwargs: Any) -> M:
        """Register one metric and remember its name and labels (dashboards are checked on it)."""
        family = name.removesuffix("_total") if kind is Counter else name
        self.catalogue[family] = labels
        return kind(name, doc, labels, registry=self.registry, **kwargs)

    def set_mode(self, mode: str) -> None:
        for candidate in MODES:
            self.mode.labels(self.strategy, candidate).set(1.0 if candidate == mode else 0.0)
