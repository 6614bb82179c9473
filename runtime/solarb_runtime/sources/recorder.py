"""`--record FILE`: a source wrapper that writes every event it passes on to a capture.

Works with any source. Batches are recorded as batches, so a replay hands the engine the
same units of work (and so the same decisions) as the recorded run. Lines are flushed as
written, so a crash loses at most the batch being written; a gzip capture is complete once
the recorder is closed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from solarb_runtime.sources.base import PoolRef, Source, SourceEvent
from solarb_runtime.sources.capture import event_lines, header_line, open_text


class RecordingSource:
    """Passes `inner`'s events through unchanged and appends each to `path`."""

    def __init__(self, inner: Source, path: Path, meta: dict[str, object] | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._out = open_text(path, "w")
        self._out.write(header_line(inner.name, inner.pools(), meta or {}) + "\n")
        self._out.flush()
        self.recorded = 0

    def pools(self) -> Sequence[PoolRef]:
        return self.inner.pools()

    def events(self) -> Iterator[SourceEvent]:
        for event in self.inner.events():
            # A batch is several lines written at once: a crash cuts at most its tail.
            self._out.write("".join(line + "\n" for line in event_lines(event)))
            self._out.flush()
            self.recorded += 1
            yield event

    def close(self) -> None:
        self.inner.close()
        if not self._out.closed:
            self._out.close()
