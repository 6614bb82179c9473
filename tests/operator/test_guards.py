"""Guard evaluation from a snapshot of the runtime's reports (pure)."""

from __future__ import annotations

from solarb_operator.guards import Reports, evaluate

ABORT = {
    "negative_sessions": 2,
    "ev_drift_bps": 10.0,
    "ev_drift_min_samples": 20,
    "latency_sustain_s": 1800.0,
    "sim_failure_rate": 0.05,
    "sim_min_samples": 20,
}
NONE: frozenset[str] = frozenset()


def test_quiet_reports_trip_nothing() -> None:
    quiet = Reports(heartbeat={"session": "s1"}, counters={"ev_samples": 50, "sim_total": 100})
    assert evaluate(quiet, ABORT, "live", NONE, "t0") is None


def test_runtime_reported_trip_is_latched_once() -> None:
    reports = Reports(trips=({"kind": "error_burst", "reason": "5 errors", "at_ns": 42},))
    trip = evaluate(reports, ABORT, "paper", NONE, None)
    assert trip is not None
    assert "error_burst" in trip.reason
    # The same report, already handled (latched or re-armed), does not trip again.
    assert evaluate(reports, ABORT, "paper", frozenset({trip.trip_id}), None) is None


def test_two_negative_sessions_in_a_row() -> None:
    one = Reports(sessions=({"id": "b", "pnl": -1.0}, {"id": "a", "pnl": 2.0}))
    assert evaluate(one, ABORT, "paper", NONE, None) is None
    two = Reports(sessions=({"id": "c", "pnl": -1.0}, {"id": "b", "pnl": -0.5}))
    trip = evaluate(two, ABORT, "paper", NONE, None)
    assert trip is not None
    assert trip.trip_id == "negative-sessions-c"


def test_ev_drift_needs_samples_and_excess() -> None:
    few = Reports(counters={"ev_samples": 5, "ev_error_median_bps": 50})
    assert evaluate(few, ABORT, "paper", NONE, None) is None
    many = Reports(counters={"ev_samples": 25, "ev_error_median_bps": 10.5})
    assert evaluate(many, ABORT, "paper", NONE, None) is not None


def test_latency_slo_sustained() -> None:
    short = Reports(counters={"latency_breach_ms": 1_799_000})
    assert evaluate(short, ABORT, "paper", NONE, None) is None
    long = Reports(counters={"latency_breach_ms": 1_800_000})
    assert evaluate(long, ABORT, "paper", NONE, None) is not None


def test_simulation_failures_over_five_percent() -> None:
    ok = Reports(counters={"sim_total": 100, "sim_failed": 5})
    assert evaluate(ok, ABORT, "dry-run", NONE, None) is None
    bad = Reports(counters={"sim_total": 100, "sim_failed": 6})
    assert evaluate(bad, ABORT, "dry-run", NONE, None) is not None


def test_bundle_rejections_count_only_without_rpc_success() -> None:
    rejected = {"bundles_sent": 100, "bundles_rejected": 10}
    assert (
        evaluate(Reports(counters={**rejected, "rpc_landed": 3}), ABORT, "live", NONE, None) is None
    )
    assert evaluate(Reports(counters=rejected), ABORT, "live", NONE, None) is not None


def test_heartbeat_lost_only_while_live_and_only_after_one_was_seen() -> None:
    gone = Reports(heartbeat=None)
    assert evaluate(gone, ABORT, "live", NONE, None) is None
    assert evaluate(gone, ABORT, "paper", NONE, "t0") is None
    trip = evaluate(gone, ABORT, "live", NONE, "t0")
    assert trip is not None
    assert "heartbeat" in trip.reason
