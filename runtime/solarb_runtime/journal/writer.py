"""The journal writer: JSONL records, flushed on every write, fsynced by policy, rotated.

The journal on disk is the record of truth (Redis may vanish), so every record is
validated, written and flushed to the OS before `write` returns; `fsync` decides when the
OS is made to put it on the disk: `always` (every record), `interval` (at most every N
ms, and on rotation and close) or `never` (the OS decides). Files rotate at
`rotate_bytes`; their names sort in write order: `<strategy>-<session>-<index>.jsonl`.

Crash safety: a crash can tear the last line of the file being written. The writer never
appends to a torn file (that would glue the next record onto the fragment and hide it):
reopening a session, or writing again after a failed write, starts the next file, so the
reader sees the torn line for what it is.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import IO, Final

from solders.pubkey import Pubkey

from solarb_runtime.config import FsyncPolicy
from solarb_runtime.domain.errors import SolarbError
from solarb_runtime.journal.reader import ReadStats, read_journal
from solarb_runtime.journal.records import SCHEMA_VERSION, SCHEMAS, RecordError, problems

SUFFIX: Final = ".jsonl"


class JournalWriteError(SolarbError):
    """The journal could not be written (disk full, permissions): the session must stop."""


def session_id(now: datetime | None = None) -> str:
    """A sortable session id from the UTC start time."""
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")


def file_name(strategy: str, session: str, index: int) -> str:
    return f"{strategy}-{session}-{index:04d}{SUFFIX}"


def _json_default(value: object) -> object:
    # Keys and exact numbers are written as text (exactness over convenience).
    if isinstance(value, Pubkey | Fraction | Decimal | Path):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot journal a {type(value).__name__}")


def _ends_torn(path: Path) -> bool:
    """True when a non-empty file does not end with a newline (a crash mid-line)."""
    size = path.stat().st_size
    if size == 0:
        return False
    with path.open("rb") as handle:
        handle.seek(size - 1)
        return handle.read(1) != b"\n"


def _fsync_dir(directory: Path) -> None:
    # A new file's directory entry is durable only once the directory is synced.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class JournalWriter:
    """Appends records of one session; implements the engine's `JournalSink`.

    Given an existing `session`, it resumes it: after its last file and its last `seq`.
    """

    def __init__(
        self,
        directory: str | Path,
        strategy: str,
        *,
        fsync: FsyncPolicy = "interval",
        fsync_interval_ms: int = 1000,
        rotate_bytes: int = 64 << 20,
        session: str | None = None,
        clock_ns: Callable[[], int] = time.monotonic_ns,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.strategy = strategy
        self.session = session or session_id()
        self.fsync_policy = fsync
        self.fsync_interval_ns = fsync_interval_ms * 1_000_000
        self.rotate_bytes = rotate_bytes
        self._clock_ns = clock_ns
        self._wall_clock = wall_clock
        self.seq = 0
        self.index = 0
        self.fsyncs = 0
        self.files: list[Path] = []
        self._size = 0
        self._last_sync_ns = clock_ns()
        self._dirty = False
        self._torn = False
        self._resume()
        self._file: IO[str] = self._open()

    @property
    def path(self) -> Path:
        """The file being written."""
        return self.files[-1]

    def _resume(self) -> None:
        existing = sorted(self.directory.glob(f"{self.strategy}-{self.session}-*{SUFFIX}"))
        if not existing:
            return
        stats = ReadStats()
        last = -1
        for record in read_journal(existing, strict=False, stats=stats):
            seq = record.get("seq")
            if isinstance(seq, int):
                last = max(last, seq)
        self.seq = last + 1
        self.index = int(existing[-1].stem.rsplit("-", 1)[1])

    def _open(self) -> IO[str]:
        while True:
            path = self.directory / file_name(self.strategy, self.session, self.index)
            if not path.exists() or not _ends_torn(path):
                break
            self.index += 1
        created = not path.exists()
        self.files.append(path)
        self._size = path.stat().st_size if not created else 0
        handle = path.open("a", encoding="utf-8")
        if created and self.fsync_policy != "never":
            _fsync_dir(self.directory)
        self._torn = False
        return handle

    def write(self, kind: str, doc: Mapping[str, object]) -> None:
        """Append one record of `kind` (one of records.KINDS); raises RecordError if invalid."""
        if kind not in SCHEMAS:
            raise RecordError(f"unknown record kind {kind!r}")
        record = {
            "schema": SCHEMA_VERSION,
            "record": kind,
            "seq": self.seq,
            "session": self.session,
            "wall": self._wall_clock().isoformat(timespec="microseconds"),
            "trace_id": None,
            **doc,
        }
        found = problems(record, stored=True)
        if found:
            raise RecordError(f"{kind}: {'; '.join(found)}")
        try:
            line = json.dumps(record, separators=(",", ":"), default=_json_default) + "\n"
        except (TypeError, ValueError) as exc:
            raise RecordError(f"{kind}: {exc}") from None
        encoded = len(line.encode())
        # The seq is spent even if the write fails: a record still in the OS buffer may
        # yet reach the disk, and two records must never share a seq.
        self.seq += 1
        try:
            if self._torn or (self._size and self._size + encoded > self.rotate_bytes):
                self._rotate()
            self._file.write(line)
            self._file.flush()
        except OSError as exc:
            # Part of the line may be on disk: never append to this file again.
            self._torn = True
            raise JournalWriteError(f"journal {self.path}: {exc.strerror or exc}") from exc
        self._size += encoded
        self._dirty = True
        due = self._clock_ns() - self._last_sync_ns >= self.fsync_interval_ns
        if self.fsync_policy == "always" or (self.fsync_policy == "interval" and due):
            self._sync()

    def _sync(self) -> None:
        if self._dirty:
            os.fsync(self._file.fileno())
            self.fsyncs += 1
            self._dirty = False
        self._last_sync_ns = self._clock_ns()

    def _rotate(self) -> None:
        # A failure here leaves the old file current; the next write tries again.
        self._file.flush()
        if self.fsync_policy != "never":
            self._sync()
        self._file.close()
        self.index += 1
        self._file = self._open()

    def flush(self) -> None:
        """Force everything written so far onto the disk (any policy but `never`)."""
        self._file.flush()
        if self.fsync_policy != "never":
            self._sync()

    def close(self) -> None:
        if not self._file.closed:
            self.flush()
            self._file.close()

    def __enter__(self) -> JournalWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
