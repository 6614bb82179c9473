"""`replay`: a recorded capture played back deterministically.

`speed="max"` yields events as fast as the engine takes them; `speed="recorded"` sleeps
so that events arrive with the gaps they were recorded with. Either way the events and
their source timestamps are identical, so the decisions are too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Literal

from solarb_runtime.sources.base import PoolRef, SourceEvent
from solarb_runtime.sources.capture import CaptureHeader, read_capture

ReplaySpeed = Literal["max", "recorded"]


class ReplaySource:
    """Events from a capture file (JSONL, optionally gzip)."""

    name = "replay"

    def __init__(
        self,
        path: Path,
        *,
        speed: ReplaySpeed = "max",
        sleep: Callable[[float], None] = time.sleep,
        clock_ns: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self.path = path
        self.speed: ReplaySpeed = speed
        self._sleep = sleep
        self._clock_ns = clock_ns
        self.header: CaptureHeader
        self.header, self._events = read_capture(path)
        self._closed = False

    def pools(self) -> Sequence[PoolRef]:
        return self.header.pools

    def events(self) -> Iterator[SourceEvent]:
        first_ts: int | None = None
        start = self._clock_ns()
        for event in self._events:
            if self._closed:
                return
            if self.speed == "recorded":
                if first_ts is None:
                    first_ts = event.ts_ns
                due = start + (event.ts_ns - first_ts)
                wait = due - self._clock_ns()
                if wait > 0:
                    self._sleep(wait / 1e9)
            yield event

    def close(self) -> None:
        self._closed = True
