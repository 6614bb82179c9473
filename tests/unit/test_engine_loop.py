"""The engine loop on the sim with FAKE finder/guards: determinism, paper fills, modes."""

from __future__ import annotations

import gc
from pathlib import Path

from solders.pubkey import Pubkey

from solarb_runtime.domain.decision import GuardTrip
from solarb_runtime.engine import Engine
from solarb_runtime.execution.base import Executor
from solarb_runtime.execution.paper import PaperExecutor
from solarb_runtime.execution.shadow import ShadowExecutor
from solarb_runtime.market.hotstate import Control
from solarb_runtime.market.state import MarketState
from solarb_runtime.sources.base import Idle, Source, SourceEvent
from solarb_runtime.sources.recorder import RecordingSource
from solarb_runtime.sources.replay import ReplaySource
from tests.support.engine_kit import (
    FAKE_VENUES,
    USDC,
    FakeGate,
    ListJournal,
    PairFinder,
    fake_config,
    fake_sim,
)

SLOTS = 150


def _engine(source: Source, paper: bool = True) -> tuple[Engine, ListJournal, FakeGate]:
    market = MarketState([(p.kind, p.address) for p in source.pools()], FAKE_VENUES)
    journal, gate = ListJournal(), FakeGate()
    executor: Executor = PaperExecutor(market, latency_ms=400) if paper else ShadowExecutor()
    engine = Engine(
        name="t",
        mode="paper" if paper else "shadow",
        market=market,
        finder=PairFinder(Pubkey.from_string(USDC), max_size=50_000 * 10**6),
        gate=gate,
        executor=executor,
        journal=journal,
    )
    return engine, journal, gate


def _without_times(records: list[dict[str, object]]) -> list[dict[str, object]]:
    # ts_ns is the source clock and must match; latency_ns is wall time and cannot.
    return [{k: v for k, v in r.items() if k not in ("ts_ns", "latency_ns")} for r in records]


def test_live_sim_run_equals_its_replay(tmp_path: Path) -> None:
    path = tmp_path / "cap.jsonl.gz"
    live_source = RecordingSource(fake_sim(fake_config(), max_slots=SLOTS), path)
    live, live_journal, _ = _engine(live_source)
    live.run(live_source)
    decisions = live_journal.decisions()
    assert live.stats.sent > 0, "the sim must produce tradeable edges"
    assert live.stats.skipped, "and some skips"
    assert live.stats.outcomes["paper"] + live.stats.outcomes["failed"] > 0
    assert 0 < live.stats.batches < live.stats.account_updates
    for _ in range(2):
        replay_source = ReplaySource(path)
        replay, journal, _ = _engine(replay_source)
        replay.run(replay_source)
        assert _without_times(journal.decisions()) == _without_times(decisions)
        assert replay.stats.outcomes == live.stats.outcomes
        assert replay.stats.batches == live.stats.batches


def test_no_sent_edge_is_unprofitable_under_exact_requote() -> None:
    source = fake_sim(fake_config(seed=11), max_slots=SLOTS)
    engine, journal, _ = _engine(source, paper=False)
    checked = 0

    def check(e: Engine) -> None:
        nonlocal checked
        for kind, doc in journal.records[checked:]:
            if kind == "edge_snapshot":
                amount = int(str(doc["size"]))
                legs = doc["legs"]
                assert isinstance(legs, list)
                for leg in legs:
                    pool = e.market.pool(Pubkey.from_string(leg["pool"]))
                    assert pool is not None
                    q = e.market.venue_of(pool.address).quote_exact_in(
                        pool, Pubkey.from_string(leg["mint_in"]), amount
                    )
                    assert q.amount_out == leg["amount_out"]
                    amount = q.amount_out
                assert amount - int(str(doc["size"])) - int(str(doc["costs"])) == doc["ev_pred"]
                assert int(str(doc["ev_pred"])) > 0
        checked = len(journal.records)

    engine.run(source, on_event=check)
    assert engine.stats.opportunities > 0


def test_paper_fill_waits_for_latency_and_can_be_beaten() -> None:
    source = fake_sim(fake_config(seed=3), max_slots=SLOTS)
    engine, journal, gate = _engine(source)
    engine.run(source)
    reports = [d for k, d in journal.records if k == "landed"]
    sent = {d["opportunity_id"] for d in journal.decisions() if d["action"] == "send"}
    assert {r["opportunity_id"] for r in reports} <= sent
    assert all(int(str(r["latency_ns"])) == 400_000_000 for r in reports)
    # Other arbitrageurs close gaps within the paper latency, so some fills miss their min-out.
    outcomes = {r["outcome"] for r in reports}
    assert "paper" in outcomes
    assert any("slippage" in str(r.get("error")) for r in reports) or outcomes == {"paper"}
    assert len(gate.reports) == len(reports)


def test_trip_and_control_drop_to_shadow_and_kill() -> None:
    source = fake_sim(fake_config(), max_slots=3)
    engine, journal, gate = _engine(source)
    engine.run(source)
    gate.pending_trips.append(GuardTrip("ev_drift", "drift", 20.0, 10.0, 1, "paper"))
    engine.handle(Idle(engine.stats.last_ts_ns + 1))
    assert engine.mode == "shadow"
    assert isinstance(engine.executor, ShadowExecutor)
    assert [k for k, _ in journal.records].count("guard_trip") == 1
    engine.apply_control(Control(kill=True, reason="operator"), 2)
    assert engine.killed
    assert engine.stats.trips[-1].kind == "manual_kill"


def test_the_cyclic_gc_runs_between_events_not_inside_one() -> None:
    source = fake_sim(fake_config(), max_slots=40)
    engine, _, _ = _engine(source)
    inside = False
    collections: list[bool] = []  # for each collection: did it start inside an event?

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(inside)

    handle = engine.handle

    def handle_with_garbage(event: SourceEvent) -> None:
        nonlocal inside
        inside = True
        try:
            # Cyclic garbage, far past gen 0's threshold: automatic GC would run here.
            for _ in range(5 * gc.get_threshold()[0]):
                cycle: list[object] = []
                cycle.append(cycle)
            handle(event)
        finally:
            inside = False

    engine.handle = handle_with_garbage  # type: ignore[method-assign]
    gc.callbacks.append(watch)
    try:
        assert gc.isenabled()
        engine.run(source)
    finally:
        gc.callbacks.remove(watch)
    assert collections, "the garbage was collected (between events)"
    assert not any(collections)
    assert gc.isenabled()  # automatic collection is back after the run
