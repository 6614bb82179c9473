"""`redis`: account state published by feeds (`solarb feed`), consumed from Redis.

On start (and after every reconnect) the source reads a snapshot of every account and the
slot, then follows the update stream. While Redis is away it yields `Idle` events on the
wall clock, so the engine sees its state age and its stale-state guard stops trading; it
retries with a capped backoff and resumes by itself when Redis returns.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

from solarb_runtime.market.hotstate import HotState, HotStateUnavailable, StreamAccount, StreamSlot
from solarb_runtime.sources.base import AccountUpdate, Idle, PoolRef, SlotUpdate, SourceEvent


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
                    for item in accounts:
                        yield AccountUpdate(item.account, item.ts_ns)
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
            for entry in entries:
                if isinstance(entry, StreamAccount):
                    yield AccountUpdate(entry.account, entry.ts_ns)
                elif isinstance(entry, StreamSlot):
                    yield SlotUpdate(entry.slot, entry.ts_ns)

    def close(self) -> None:
        self._closed = True
