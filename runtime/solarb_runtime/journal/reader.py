"""Reading journals back: every line parsed and validated against its schema.

A crash can leave the last line of a file half-written (no newline, not a record). That
torn line is the one expected loss: it is skipped and reported (`ReadStats.torn`, with
file and line) in either mode. Any other bad line (not JSON, not a valid record, a `seq`
that goes backwards) is an error naming file, line and reason: `strict` raises at the
first, tolerant mode skips it and lists it in `ReadStats.bad`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from solarb_runtime.domain.errors import UserError
from solarb_runtime.journal.records import problems


class JournalError(UserError):
    """A journal line that is not a valid record: names the file, the line and why."""

    def __init__(self, path: Path, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


@dataclass(frozen=True, slots=True)
class BadLine:
    """Where a line is and what is wrong with it."""

    path: Path
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass(slots=True)
class ReadStats:
    """What a read met: files, good records, torn tails, bad lines, seq gaps."""

    files: int = 0
    records: int = 0
    truncated: int = 0
    torn: list[BadLine] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)
    # Records missing between consecutive seqs of a session (a torn or failed write).
    seq_gaps: int = 0


JournalPath = str | Path


def journal_files(path: JournalPath, session: str | None = None) -> list[Path]:
    """The `.jsonl` files of a journal directory (or the one file given), in write order."""
    p = Path(path)
    if p.is_file():
        return [p]
    if not p.is_dir():
        raise UserError(f"{p}: no such journal file or directory")
    pattern = f"*-{session}-*.jsonl" if session else "*.jsonl"
    return sorted(p.glob(pattern))


def _expand(paths: JournalPath | Iterable[JournalPath], session: str | None) -> list[Path]:
    if isinstance(paths, str | Path):
        return journal_files(paths, session)
    return [file for p in paths for file in journal_files(p, session)]


def _lines(path: Path) -> Iterator[tuple[int, bytes, bool]]:
    """(line number, raw line, is the file's last line) of a file, streamed."""
    with path.open("rb") as handle:
        previous: bytes | None = None
        n = 0
        for raw in handle:
            if previous is not None:
                yield n, previous, False
            n += 1
            previous = raw
        if previous is not None:
            yield n, previous, True


def _parse(raw: bytes) -> tuple[dict[str, object] | None, str]:
    try:
        value = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "not UTF-8"
    except json.JSONDecodeError as exc:
        return None, f"not JSON: {exc.msg}"
    if not isinstance(value, dict):
        return None, "not a JSON object"
    found = problems(value, stored=True)
    return (None, "; ".join(found)) if found else (value, "")


def read_journal(
    path: JournalPath | Iterable[JournalPath],
    *,
    session: str | None = None,
    strict: bool = True,
    stats: ReadStats | None = None,
) -> Iterator[dict[str, object]]:
    """Every valid record of the journal at `path` (directories or files), in write order."""
    stats = stats if stats is not None else ReadStats()
    last_seq: dict[str, int] = {}
    for file in _expand(path, session):
        stats.files += 1
        for n, raw, last in _lines(file):
            record, reason = _parse(raw)
            if record is None and last and not raw.endswith(b"\n"):
                stats.truncated += 1  # a crash mid-write: expected, reported, skipped
                stats.torn.append(BadLine(file, n, f"torn last line ({reason})"))
                continue
            if record is not None:
                reason = _seq_problem(record, last_seq, stats)
            if reason:
                if strict:
                    raise JournalError(file, n, reason)
                stats.bad.append(BadLine(file, n, reason))
                continue
            assert record is not None
            stats.records += 1
            yield record


def _seq_problem(record: dict[str, object], last_seq: dict[str, int], stats: ReadStats) -> str:
    session, seq = str(record.get("session")), record["seq"]
    assert isinstance(seq, int)
    before = last_seq.get(session)
    if before is not None and seq <= before:
        return f"seq {seq} after {before}: out of order or duplicated"
    if before is not None:
        stats.seq_gaps += seq - before - 1
    last_seq[session] = seq
    return ""
