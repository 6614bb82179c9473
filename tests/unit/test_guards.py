"""The blocking guards block what they must, and the abort conditions trip when they hold."""

from __future__ import annotations

from dataclasses import replace

import pytest

from solarb_runtime.config import parse_config
from solarb_runtime.domain.decision import ExecutionReport
from solarb_runtime.domain.opportunity import Leg, Opportunity
from solarb_runtime.risk.abort import AbortLimits, AbortMonitor, negative_streak
from solarb_runtime.risk.guards import GuardLimits, Guards, abort_limits
from tests.unit.fakes import cpmm, key, market_with

U, X = key(900), key(901)
S = 1_000_000_000
MS = 1_000_000
LIMITS = GuardLimits(
    min_ev=100,
    min_ev_bps=1.0,
    max_notional_per_trade=1_000_000,
    max_notional_per_minute=2_500_000,
    max_consecutive_fails=3,
    error_burst_count=5,
    error_burst_window_ns=60 * S,
    max_tps=2,
    max_feed_age_ms=2_000,
    max_slot_lag=4,
    dedupe_ttl_ns=2 * S,
)
MARKET = market_with([cpmm(10, U, X, 10**9, 10**9)], ts_ns=0)


def _opp(n: int, *, size: int = 500_000, ev: int = 1_000, route: int | None = None) -> Opportunity:
    pool = key(5_000 + (n if route is None else route))
    legs = (
        Leg("fake-cpmm", pool, U, X, size, size, size),
        Leg("fake-cpmm", pool, X, U, size, size + ev, size + ev),
    )
    return Opportunity(f"id{n}", "edge", U, legs, size, size + ev, 0, ev, ev * 1e4 / size, 1, 0)


def _guards() -> Guards:
    return Guards(LIMITS, AbortMonitor(AbortLimits()))


def test_a_good_opportunity_is_sent_and_recorded() -> None:
    g = _guards()
    d = g.decide(_opp(1), MARKET, 10 * MS, "paper")
    assert d.action == "send"
    assert d.reason is None
    assert g.counters()["sends"] == 1


@pytest.mark.parametrize(
    ("opp", "reason"),
    [
        (_opp(1, ev=99), "min_ev"),
        (_opp(1, size=10**6, ev=99), "min_ev"),
        (_opp(1, size=1_000_000, ev=100 - 1), "min_ev"),
        (_opp(1, size=100_000_000, ev=5_000), "min_ev_bps"),
        (_opp(1, size=1_000_001, ev=500), "notional_per_trade"),
    ],
)
def test_single_opportunity_limits(opp: Opportunity, reason: str) -> None:
    d = _guards().decide(opp, MARKET, 10 * MS, "paper")
    assert (d.action, d.reason) == ("skip", reason)


def test_stale_feed_and_slot_lag_block() -> None:
    g = _guards()
    assert g.decide(_opp(1), MARKET, 2_001 * MS, "paper").reason == "stale_feed"
    lagging = market_with([cpmm(10, U, X, 10**9, 10**9, slot=10)], ts_ns=0)
    lagging.on_slot(15)
    assert g.decide(_opp(2), lagging, 10 * MS, "paper").reason == "slot_lag"
    lagging.on_slot(14)  # slots never go back: still lagging
    assert g.decide(_opp(3), lagging, 10 * MS, "paper").reason == "slot_lag"


def test_dedupe_within_ttl_only() -> None:
    g = _guards()
    assert g.decide(_opp(1, route=7), MARKET, 0, "paper").action == "send"
    assert g.decide(_opp(2, route=7), MARKET, 1_999 * MS, "paper").reason == "duplicate"
    g2 = _guards()
    assert g2.decide(_opp(1, route=7), MARKET, 0, "paper").action == "send"
    market = market_with([cpmm(10, U, X, 10**9, 10**9)], ts_ns=2 * S)
    assert g2.decide(_opp(2, route=7), market, 2 * S, "paper").action == "send"


def test_tps_throttle() -> None:
    g = _guards()
    assert g.decide(_opp(1), MARKET, 0, "paper").action == "send"
    assert g.decide(_opp(2), MARKET, 100 * MS, "paper").action == "send"
    assert g.decide(_opp(3), MARKET, 200 * MS, "paper").reason == "tps"
    market = market_with([cpmm(10, U, X, 10**9, 10**9)], ts_ns=S)
    assert g.decide(_opp(4), market, S + 1, "paper").action == "send"


def test_notional_per_minute_rolls_off() -> None:
    g = _guards()
    fresh = [market_with([cpmm(10, U, X, 10**9, 10**9)], ts_ns=t * S) for t in (0, 1, 2, 61)]
    assert g.decide(_opp(1, size=10**6), fresh[0], 0, "paper").action == "send"
    assert g.decide(_opp(2, size=10**6), fresh[1], S, "paper").action == "send"
    d = g.decide(_opp(3, size=10**6), fresh[2], 2 * S, "paper")
    assert d.reason == "notional_per_minute"
    assert g.decide(_opp(4, size=10**6), fresh[3], 61 * S, "paper").action == "send"


def test_consecutive_fails_kill_and_trip_once() -> None:
    g = _guards()
    for i in range(3):
        g.on_report(ExecutionReport(f"id{i}", "failed", error="boom"), i)
    assert g.decide(_opp(9), MARKET, 10, "live").reason == "consecutive_fails"
    trips = g.trips(10, "live")
    assert [t.kind for t in trips] == ["consecutive_fails"]
    assert trips[0].mode_after == "shadow"
    assert g.trips(11, "live") == []
    g.rearm()
    assert g.decide(_opp(9), MARKET, 10, "live").action == "send"


def test_success_resets_consecutive_fails_but_error_burst_still_counts() -> None:
    g = _guards()
    for i in range(5):
        g.on_report(ExecutionReport(f"f{i}", "dropped"), i * S)
        g.on_report(ExecutionReport(f"ok{i}", "landed", ev_real=1), i * S)
    assert g.consecutive_fails == 0
    assert g.killed == "error_burst"
    assert g.decide(_opp(1), MARKET, 10, "live").reason == "error_burst"
    assert [t.kind for t in g.trips(0, "live")] == ["error_burst"]


def test_errors_outside_the_burst_window_do_not_kill() -> None:
    g = _guards()
    for i in range(5):
        g.on_report(ExecutionReport(f"f{i}", "dropped"), i * 61 * S)
        g.on_report(ExecutionReport(f"ok{i}", "landed", ev_real=1), i * 61 * S)
    assert g.killed is None


def test_manual_kill_and_signal() -> None:
    g = _guards()
    g.kill("operator said so")
    assert g.decide(_opp(1), MARKET, 0, "live").reason == "killed"
    (trip,) = g.trips(0, "live")
    assert (trip.kind, trip.reason) == ("manual_kill", "operator said so")
    g2 = _guards()
    g2.kill("SIGUSR1", signal=True)
    assert g2.trips(0, "paper")[0].kind == "signal"


def test_ev_drift_abort_from_paper_fills() -> None:
    g = Guards(LIMITS, AbortMonitor(AbortLimits(ev_drift_bps=10, ev_drift_min_samples=5)))
    t = 0
    for i in range(5):
        t += S
        fresh = market_with([cpmm(10, U, X, 10**9, 10**9)], ts_ns=t)
        opp = _opp(i, size=100_000, ev=1_000, route=i)
        assert g.decide(opp, fresh, t, "paper").action == "send"
        # Realised 150 atoms below prediction on 100k: 15 bps of drift.
        g.on_report(ExecutionReport(opp.id, "paper", ev_real=850), t)
    (trip,) = g.trips(t, "paper")
    assert trip.kind == "ev_drift"
    assert trip.value == pytest.approx(15.0)


def test_latency_slo_must_be_sustained() -> None:
    mon = AbortMonitor(AbortLimits(latency_slo_ns=50 * MS, latency_sustain_ns=30 * S))
    mon.observe_latency(60 * MS, 0)
    mon.observe_latency(60 * MS, 29 * S)
    mon.observe_latency(10 * MS, 29 * S + 1)  # recovered: the clock restarts
    mon.observe_latency(60 * MS, 40 * S)
    mon.observe_latency(60 * MS, 69 * S)
    assert mon.trips(0, "live") == []
    mon.observe_latency(70 * MS, 70 * S)
    (trip,) = mon.trips(70 * S, "live")
    assert trip.kind == "latency_slo"
    assert trip.value == 70.0


def test_simulation_failure_rate() -> None:
    mon = AbortMonitor(AbortLimits(sim_failure_rate=0.05, sim_min_samples=20))
    for i in range(20):
        mon.observe_simulation(i != 0)  # 1 in 20 = 5%: not over
    assert mon.trips(0, "dry-run") == []
    mon.observe_simulation(False)  # 2 in 21
    assert [t.kind for t in mon.trips(0, "dry-run")] == ["sim_failure_rate"]


def test_negative_sessions_in_a_row() -> None:
    assert negative_streak([5, -1, -2]) == 2
    assert negative_streak([-1, 3, -2]) == 1
    mon = AbortMonitor(AbortLimits(negative_sessions=2))
    mon.observe_sessions([-1, 4, -3])
    assert mon.trips(0, "live") == []
    mon.observe_sessions([-1, 4, -3, -1])
    assert [t.kind for t in mon.trips(0, "live")] == ["negative_sessions"]


def test_limits_from_config_are_in_atoms() -> None:
    cfg = parse_config(
        {
            "name": "t",
            "tokens": {
                "SOL": {"mint": "So11111111111111111111111111111111111111112", "decimals": 9},
                "USDC": {"mint": "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v", "decimals": 6},
            },
            "pairs": [{"base": "SOL", "quote": "USDC"}],
            "venues": [{"name": "r", "kind": "raydium-cpmm"}],
            "thresholds": {"min_ev": 0.05},
            "guards": {"max_notional_per_trade": 1500.5, "dedupe_ttl_ms": 750},
        }
    )
    lim = GuardLimits.from_config(cfg)
    assert lim.min_ev == 50_000
    assert lim.max_notional_per_trade == 1_500_500_000
    assert lim.dedupe_ttl_ns == 750 * MS
    assert abort_limits(cfg).latency_slo_ns == 50 * MS
    assert replace(lim, min_ev=1).min_ev == 1
