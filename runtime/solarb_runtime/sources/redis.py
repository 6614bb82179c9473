"""`redis`: account state published by feeds (`solarb feed`), consumed from Redis.

On start (and after every reconnect) the source reads a snapshot of every account and the
slot, then follows the update stream. Accounts come out as batches: the snapshot in chunks
of `SNAPSHOT_CHUNK`, and each stream read as one batch per run of accounts between slot
entries (so slot order is kept). A batch is stamped with its OLDEST entry's time: a snapshot
can hold accounts published minutes ago, and none may look fresher than it is. While Redis
is away it yields `Idle` events on the wall clock, so the engine sees its state age and its
stale-state guard stops trading; it retries with a capped backoff and resumes by itself when
Redis returns.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

from solarb_runtime.market.hotstate import HotState, HotStateUnavailable, StreamAccount, StreamSlot
from solarb_runtime.sources.base import AccountBatch, Idle, PoolRef, SlotUpdate, SourceEvent

# Accounts per snapshot batch: a big universe's snapshot is decoded in a few passes, not
# one per account, without holding the engine for one huge pass.
SNAPSHOT_CHUNK = 2048


def account_batch(items: Sequence[StreamAccount]) -> AccountBatch:
    """Stream accounts as one batch, stamped with the oldest entry's time."""
    return AccountBatch(tuple(i.account for i in items), min(i.ts_ns for i in items))


class RedisSource:
    """Snapshot + stream from a `HotState`; survives Redis restarts."""

    name = "redis"

    def __init__(
        self,
        hot: HotState,
        *,
        block_ms: int = 100,
        max_backoff_s: float = 1.0,
        clock_ns: Callable[[], int] = time.time_ns,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.hot = hot
        self.block_ms = block_ms
        self.max_backoff_s = max_backoff_s
        self._clock_ns = clock_ns
        self._sleep = sleep
        self._closed = False
        self.connected = False
        self.disconnects = 0
        self.snapshots = 0

    def pools(self) -> Sequence[PoolRef]:
        try:
            return [PoolRef(kind, address) for kind, address in self.hot.pools()]
        except HotStateUnavailable:
            return []

    def events(self) -> Iterator[SourceEvent]:
        position: str | None = None
        backoff = 0.05
        while not self._closed:
            try:
                if position is None:
                    position, slot, accounts = self.hot.snapshot()
                    self.snapshots += 1
                    self.connected = True
                    backoff = 0.05
                    if slot is not None:
                        yield SlotUpdate(slot.slot, slot.ts_ns)
                    for at in range(0, len(accounts), SNAPSHOT_CHUNK):
                        yield account_batch(accounts[at : at + SNAPSHOT_CHUNK])
                    continue
                position, entries = self.hot.read(position, block_ms=self.block_ms)
            except HotStateUnavailable:
                if self.connected:
                    self.disconnects += 1
                self.connected = False
                position = None  # a restarted Redis has a new stream: snapshot again
                yield Idle(self._clock_ns())
                self._sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
                continue
            if not entries:
                yield Idle(self._clock_ns())
                continue
            run: list[StreamAccount] = []
            for entry in entries:
                if isinstance(entry, StreamAccount):
                    run.append(entry)
                elif isinstance(entry, StreamSlot):
                    if run:
                        yield account_batch(run)
                        run = []
                    yield SlotUpdate(entry.slot, entry.ts_ns)
            if run:
                yield account_batch(run)

    def close(self) -> None:
        self._closed = True
