"""Distributed mode through a real Redis: a feed publishes, a strategy consumes, Redis restarts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from solarb_runtime.market.hotstate import HotState, StreamAccount, StreamSlot
from solarb_runtime.sources.base import AccountUpdate, Idle, SlotUpdate, SourceEvent, unbatched
from solarb_runtime.sources.redis import RedisSource
from tests.support.engine_kit import fake_config, fake_sim
from tests.support.redis import RedisServer

pytestmark = pytest.mark.redis


def _entries(events: list[SourceEvent]) -> list[StreamAccount | StreamSlot]:
    out: list[StreamAccount | StreamSlot] = []
    for e in unbatched(events):
        if isinstance(e, AccountUpdate):
            out.append(StreamAccount(e.account, e.ts_ns))
        elif isinstance(e, SlotUpdate):
            out.append(StreamSlot(e.slot, e.ts_ns))
    return out


def _take(events: Iterator[SourceEvent], n: int) -> list[SourceEvent]:
    out: list[SourceEvent] = []
    idles = 0
    while len(out) < n:
        event = next(events)
        if isinstance(event, Idle):
            idles += 1
            assert idles < 200, f"only {len(out)} of {n} events arrived"
            continue
        out.extend(unbatched([event]))
    return out


def test_snapshot_then_stream_then_restart(redis_server: RedisServer) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}"
    feed = HotState(redis_server.url, prefix)
    consumer = HotState(redis_server.url, prefix)
    sim = fake_sim(fake_config(), max_slots=20)
    events = list(unbatched(sim.events()))
    first, rest = events[:30], events[30:]
    feed.publish_pools([(p.kind, p.address) for p in sim.pools()])
    feed.publish(_entries(first))

    source = RedisSource(consumer, block_ms=20, max_backoff_s=0.05)
    assert {p.address for p in source.pools()} == {p.address for p in sim.pools()}
    stream = source.events()
    # The snapshot holds the newest bytes of every account published so far.
    latest = {e.account.pubkey: e.account for e in first if isinstance(e, AccountUpdate)}
    snap = _take(stream, 1 + len(latest))
    assert isinstance(snap[0], SlotUpdate)
    assert {e.account.pubkey: e.account for e in snap[1:] if isinstance(e, AccountUpdate)} == latest

    feed.publish(_entries(rest))
    followed = _take(stream, len(_entries(rest)))
    assert followed == [e for e in rest if not isinstance(e, Idle)]

    # Redis goes away: the source keeps yielding Idle (so guards see the age) and recovers.
    redis_server.stop()
    try:
        assert all(isinstance(next(stream), Idle) for _ in range(3))
        assert not source.connected
    finally:
        redis_server.start()
    feed.publish(_entries(events))  # a feed republishes its snapshot after a restart
    again = _take(stream, 1)
    assert source.disconnects == 1
    assert source.snapshots >= 2
    assert isinstance(again[0], AccountUpdate | SlotUpdate)
    source.close()


def test_status_trips_and_control(redis_server: RedisServer) -> None:
    hot = HotState(redis_server.url, f"t{uuid.uuid4().hex[:8]}")
    hot.write_status("s1", heartbeat={"slot": 5}, mode="paper", counters={"sent": 3})
    assert hot.client.get(hot.keys.strategy("s1", "mode")) == b"paper"
    assert hot.client.hget(hot.keys.strategy("s1", "guards"), "sent") == b"3"
    assert hot.client.ttl(hot.keys.strategy("s1", "heartbeat")) > 0
    hot.push_trip("s1", {"kind": "ev_drift", "value": 12.5})
    assert hot.trips("s1") == [{"kind": "ev_drift", "value": 12.5}]
    assert hot.read_control("s1").mode is None
    hot.write_control("s1", mode="shadow", kill=True, reason="operator")
    control = hot.read_control("s1")
    assert (control.mode, control.kill, control.reason) == ("shadow", True, "operator")


def test_engine_on_redis_survives_restart_without_losing_journal_records(
    redis_server: RedisServer, tmp_path: pytest.TempPathFactory
) -> None:
    from pathlib import Path

    from solders.pubkey import Pubkey

    from solarb_runtime.engine import Engine
    from solarb_runtime.execution.shadow import ShadowExecutor
    from solarb_runtime.market.state import MarketState
    from tests.support.engine_kit import FAKE_VENUES, USDC, FakeGate, ListJournal, PairFinder

    prefix = f"t{uuid.uuid4().hex[:8]}"
    feed = HotState(redis_server.url, prefix)
    sim = fake_sim(fake_config(), max_slots=60)
    events = list(sim.events())
    chunks = [events[i : i + 40] for i in range(0, len(events), 40)]
    feed.publish_pools([(p.kind, p.address) for p in sim.pools()])
    feed.publish(_entries(chunks[0]))
    source = RedisSource(HotState(redis_server.url, prefix), block_ms=20, max_backoff_s=0.05)
    market = MarketState([(p.kind, p.address) for p in source.pools()], FAKE_VENUES)
    path = Path(str(tmp_path)) / "journal.jsonl"
    journal = ListJournal(path=path)
    gate = FakeGate(max_age_ms=1e12)  # feed timestamps are simulated: only order matters here
    engine = Engine(
        name="s",
        mode="shadow",
        market=market,
        finder=PairFinder(Pubkey.from_string(USDC), max_size=50_000 * 10**6),
        gate=gate,
        executor=ShadowExecutor(),
        journal=journal,
        hot=HotState(redis_server.url, prefix),
        status_interval_ms=0,
    )
    state = {"next": 1, "down_at": 0, "restarted": False}

    def drive(e: Engine) -> None:
        if e.stats.idles == 0 or e.stats.idles % 3:
            return
        if state["next"] == 2 and not state["down_at"]:
            redis_server.stop()
            state["down_at"] = e.stats.idles
            return
        if state["down_at"] and not state["restarted"]:
            if e.stats.idles - state["down_at"] < 9:
                return  # stays down for a few source polls
            redis_server.start()
            state["restarted"] = True
            feed.publish(_entries(events[: 40 * state["next"]]))  # the feed's re-snapshot
        if state["next"] < len(chunks):
            feed.publish(_entries(chunks[state["next"]]))
            state["next"] += 1

    engine.run(
        source,
        on_event=drive,
        should_stop=lambda: state["next"] >= len(chunks) and engine.stats.idles > 150,
    )
    assert state["restarted"]
    assert engine.stats.status_failures > 0
    assert source.disconnects == 1
    assert engine.stats.opportunities > 0
    on_disk = path.read_text().splitlines()
    assert len(on_disk) == len(journal.records)
    assert feed.client.get(feed.keys.strategy("s", "mode")) == b"shadow"
