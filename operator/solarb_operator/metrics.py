"""The operator's Prometheus metrics: reconciles, errors, latched guard trips, ramp steps.

Served on `SOLARB_OPERATOR_METRICS_PORT` (default 9109, 0 disables). Names follow the
runtime's `solarb_<subsystem>_<what>_<unit>` and the dashboards in grafana/ query them.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

REGISTRY = CollectorRegistry()

RECONCILES = Counter(
    "solarb_operator_reconciles_total",
    "Reconciles by resource kind and result (ok | error)",
    ("kind", "result"),
    registry=REGISTRY,
)
ERRORS = Counter(
    "solarb_operator_errors_total",
    "Reconcile errors by resource kind and error class",
    ("kind", "error"),
    registry=REGISTRY,
)
GUARD_TRIPS = Counter(
    "solarb_operator_guard_trips_total",
    "Guard trips latched into an ArbStrategy's status",
    ("strategy", "guard"),
    registry=REGISTRY,
)
RAMP_STEP = Gauge(
    "solarb_operator_ramp_step_index",
    "Current ramp step (0-based) per strategy",
    ("strategy",),
    registry=REGISTRY,
)


def serve(port: int) -> None:
    """Expose /metrics on all interfaces (the chart's Service selects the operator pod)."""
    if port > 0:
        start_http_server(port, registry=REGISTRY)
