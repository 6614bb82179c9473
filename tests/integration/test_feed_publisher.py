"""`solarb feed`'s publisher through a real Redis, including a Redis restart mid-feed."""

from __future__ import annotations

import time
import uuid

import pytest

from solarb_runtime.commands.feed import Publisher, entries
from solarb_runtime.market.hotstate import HotState, StreamAccount
from solarb_runtime.sources.base import AccountBatch, Idle
from solarb_runtime.sources.redis import RedisSource
from tests.support.engine_kit import fake_config, fake_sim
from tests.support.redis import RedisServer

pytestmark = pytest.mark.redis


def _drain_snapshot(source: RedisSource, accounts: int) -> dict[object, bytes]:
    """Account bytes from the consumer's next snapshot (after a reconnect if one is due)."""
    seen: dict[object, bytes] = {}
    idles = 0
    for event in source.events():
        if isinstance(event, AccountBatch):
            seen.update((raw.pubkey, raw.data) for raw in event.accounts)
            if len(seen) >= accounts:
                break
        elif isinstance(event, Idle):
            idles += 1
            assert idles < 400, f"only {len(seen)} of {accounts} accounts arrived"
    return seen


def test_feed_reseeds_a_restarted_redis_with_the_newest_bytes(redis_server: RedisServer) -> None:
    prefix = f"f{uuid.uuid4().hex[:8]}"
    sim = fake_sim(fake_config(seed=9), max_slots=30)
    publisher = Publisher(
        HotState(redis_server.url, prefix, timeout_s=0.2),
        [(p.kind, p.address) for p in sim.pools()],
        batch_size=25,
        retry_s=0.05,
    )
    stream = [e for e in entries(sim) if e is not None]
    half = len(stream) // 2
    for entry in stream[:half]:
        publisher.add(entry)
    assert publisher.flush()
    assert publisher.reseeds == 1

    redis_server.stop()
    try:
        for entry in stream[half:]:
            publisher.add(entry)  # the market moves on while Redis is away
        assert not publisher.flush()
        assert publisher.failures > 0
        assert publisher.down
    finally:
        redis_server.start()
    deadline = time.monotonic() + 10
    while not publisher.flush():
        assert time.monotonic() < deadline, "the publisher never reconnected"
        time.sleep(0.06)
    assert publisher.reseeds == 2

    newest = {e.account.pubkey: e.account.data for e in stream if isinstance(e, StreamAccount)}
    consumer = HotState(redis_server.url, prefix)
    source = RedisSource(consumer, block_ms=20, max_backoff_s=0.05)
    assert {p.address for p in source.pools()} == {p.address for p in sim.pools()}
    # The restarted Redis holds every account at its newest bytes, including the updates
    # made while it was down.
    assert _drain_snapshot(source, len(newest)) == newest
    source.close()
    consumer.close()
    publisher.hot.close()
