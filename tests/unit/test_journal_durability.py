"""Journal writer and reader under crashes, failed writes and damaged files."""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import IO

import pytest
from solders.pubkey import Pubkey

from solarb_runtime.domain.errors import UserError
from solarb_runtime.journal.reader import JournalError, ReadStats, read_journal
from solarb_runtime.journal.records import RecordError
from solarb_runtime.journal.writer import JournalWriteError, JournalWriter

SESSION = "20260101T000000000000Z"


def _tx(w: JournalWriter, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        w.write("submitted_tx", {"opportunity_id": f"o{i}", "mode": "paper", "size": i})


def test_a_resumed_session_never_appends_to_a_torn_file(tmp_path: Path) -> None:
    with JournalWriter(tmp_path, "s", session=SESSION) as w:
        _tx(w, 5)
        first = w.path
    fragment = '{"schema":1,"record":"submitted_tx","seq":5,"sess'
    with first.open("a") as f:
        f.write(fragment)  # the process died mid-line
    before = first.read_text()
    with JournalWriter(tmp_path, "s", session=SESSION) as w:
        assert w.seq == 5
        _tx(w, 3, start=5)
        second = w.path
    assert second != first
    assert first.read_text() == before  # the fragment is left alone, not glued to a record
    stats = ReadStats()
    records = list(read_journal(tmp_path, stats=stats))  # strict
    assert [r["seq"] for r in records] == list(range(8))
    assert [r["opportunity_id"] for r in records] == [f"o{i}" for i in range(8)]
    assert stats.truncated == 1
    [torn] = stats.torn
    assert (torn.path, torn.line) == (first, 6)
    assert str(torn).startswith(f"{first}:6: torn last line")


def test_a_resumed_clean_session_continues_in_its_last_file(tmp_path: Path) -> None:
    with JournalWriter(tmp_path, "s", session=SESSION) as w:
        _tx(w, 2)
    with JournalWriter(tmp_path, "s", session=SESSION) as w:
        _tx(w, 2, start=2)
        assert len(w.files) == 1
    assert [r["seq"] for r in read_journal(tmp_path)] == [0, 1, 2, 3]


class _DiskFull:
    """Writes half of what it is given, then fails as a full disk would."""

    def __init__(self, inner: IO[str]) -> None:
        self.inner = inner
        self.failed = False

    def write(self, text: str) -> int:
        if self.failed:
            return self.inner.write(text)
        self.failed = True
        self.inner.write(text[: len(text) // 2])
        self.inner.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def test_after_a_failed_write_the_next_record_starts_a_new_file(tmp_path: Path) -> None:
    w = JournalWriter(tmp_path, "s", session=SESSION, fsync="always")
    _tx(w, 2)
    w._file = _DiskFull(w._file)  # type: ignore[assignment]
    with pytest.raises(JournalWriteError, match="No space left"):
        _tx(w, 1, start=2)
    _tx(w, 2, start=3)
    w.close()
    assert len(w.files) == 2
    stats = ReadStats()
    records = list(read_journal(tmp_path, stats=stats))
    assert [r["opportunity_id"] for r in records] == ["o0", "o1", "o3", "o4"]
    assert stats.truncated == 1
    assert stats.seq_gaps == 1  # the failed record's seq is spent, never reused


def test_invalid_records_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    with JournalWriter(tmp_path, "s") as w:
        with pytest.raises(RecordError, match=r"decision\.action 'maybe'"):
            w.write("decision", {"opportunity_id": "x", "action": "maybe"})
        with pytest.raises(RecordError, match="cannot journal a object"):
            w.write("submitted_tx", {"opportunity_id": "x", "extra": object()})
        with pytest.raises(RecordError, match="unknown record kind"):
            w.write("gossip", {})
        assert w.seq == 0
        key = Pubkey.new_unique()
        w.write("submitted_tx", {"opportunity_id": "x", "pool": key, "raw": b"\x01\xff"})
        path = w.path
    [line] = path.read_text().splitlines()
    doc = json.loads(line)
    assert (doc["seq"], doc["pool"], doc["raw"]) == (0, str(key), "01ff")


def _line(seq: int, **extra: object) -> str:
    doc = {
        "schema": 1,
        "record": "submitted_tx",
        "seq": seq,
        "session": SESSION,
        "wall": "2026-01-01T00:00:00.000000+00:00",
        "opportunity_id": f"o{seq}",
        **extra,
    }
    return json.dumps(doc) + "\n"


def test_tolerant_reading_skips_and_lists_every_bad_line(tmp_path: Path) -> None:
    path = tmp_path / f"s-{SESSION}-0000.jsonl"
    path.write_text(
        _line(0)
        + "not json\n"
        + _line(1, wall="2026-01-01T00:00:00")
        + _line(1)
        + _line(1)
        + "[1, 2]\n"
        + _line(2)
    )
    stats = ReadStats()
    records = list(read_journal(path, strict=False, stats=stats))
    assert [r["seq"] for r in records] == [0, 1, 2]
    assert [(b.line, b.reason.split(":")[0]) for b in stats.bad] == [
        (2, "not JSON"),
        (3, "wall has no timezone"),
        (5, "seq 1 after 1"),
        (6, "not a JSON object"),
    ]
    assert all(b.path == path for b in stats.bad)
    with pytest.raises(JournalError, match=r"-0000\.jsonl:2: not JSON") as caught:
        list(read_journal(path))
    assert caught.value.line == 2


def test_torn_tails_only_at_the_end_of_a_file(tmp_path: Path) -> None:
    path = tmp_path / f"s-{SESSION}-0000.jsonl"
    cut = _line(1, note="café").replace("\\u00e9", "é").encode()  # as raw UTF-8
    torn = cut[: cut.index("é".encode()) + 1]  # half a UTF-8 character
    path.write_bytes(_line(0).encode() + torn)
    stats = ReadStats()
    assert [r["seq"] for r in read_journal(path, stats=stats)] == [0]
    assert stats.torn[0].reason == "torn last line (not UTF-8)"
    # A complete record that only lost its newline is kept.
    path.write_text(_line(0) + _line(1).rstrip("\n"))
    stats = ReadStats()
    assert [r["seq"] for r in read_journal(path, stats=stats)] == [0, 1]
    assert stats.truncated == 0
    # The same fragment in the middle of a file is damage, not a crash.
    path.write_bytes(torn + b"\n" + _line(2).encode())
    with pytest.raises(JournalError, match=":1: not UTF-8"):
        list(read_journal(path))


def test_reads_files_in_the_order_given_and_names_missing_ones(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text(_line(0) + _line(1))
    b.write_text(_line(2))
    assert [r["seq"] for r in read_journal([a, b])] == [0, 1, 2]
    with pytest.raises(JournalError, match=r"a\.jsonl:1: seq 0 after 2"):
        list(read_journal([b, a]))  # write order matters: a seq never goes back
    with pytest.raises(UserError, match="no such journal"):
        list(read_journal(tmp_path / "missing"))


def test_interval_policy_syncs_what_is_left_on_close(tmp_path: Path) -> None:
    now = [0]
    w = JournalWriter(
        tmp_path, "s", fsync="interval", fsync_interval_ms=50, clock_ns=lambda: now[0]
    )
    _tx(w, 3)
    assert w.fsyncs == 0
    now[0] = 50_000_000
    _tx(w, 1, start=3)
    assert w.fsyncs == 1
    _tx(w, 1, start=4)
    w.close()
    assert w.fsyncs == 2
    never = JournalWriter(tmp_path / "never", "s", fsync="never", rotate_bytes=300)
    _tx(never, 6)
    never.close()
    assert never.fsyncs == 0
    assert len(never.files) > 2
