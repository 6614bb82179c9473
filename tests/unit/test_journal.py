"""Journal records round-trip through writer and validating reader; summaries and recovery."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from solarb_runtime.journal.reader import JournalError, ReadStats, read_journal
from solarb_runtime.journal.records import RecordError, problems
from solarb_runtime.journal.summary import past_pnls, recover, summarise, write_summary
from solarb_runtime.journal.writer import JournalWriter


def _session(w: JournalWriter, n: int) -> None:
    w.write("session_start", {"strategy": "s", "mode": "paper", "balances": {"USDC": 1000}})
    for i in range(n):
        oid = f"o{i}"
        w.write("edge_snapshot", {"opportunity_id": oid, "legs": [], "size": 10_000, "ev_pred": 50})
        if i % 3 == 0:
            w.write("decision", {"opportunity_id": oid, "action": "skip", "reason": "min_ev"})
            continue
        w.write(
            "decision",
            {"opportunity_id": oid, "action": "send", "reason": None, "latency_ns": 1000 + i},
        )
        w.write("landed", {"opportunity_id": oid, "outcome": "paper", "ev_real": 40})
    w.write("guard_trip", {"kind": "ev_drift", "reason": "drift", "value": 11.0})


def test_records_round_trip_with_rotation(tmp_path: Path) -> None:
    with JournalWriter(tmp_path, "s", fsync="always", rotate_bytes=2_000) as w:
        _session(w, 30)
        files = list(w.files)
        written = w.seq
        assert w.fsyncs == written
    assert len(files) > 3
    assert all(f.stat().st_size <= 2_000 for f in files)
    stats = ReadStats()
    records = list(read_journal(tmp_path, stats=stats))
    assert [r["seq"] for r in records] == list(range(written))
    assert stats.files == len(files)
    assert records[0]["record"] == "session_start"


def test_interval_fsync_policy_syncs_by_time(tmp_path: Path) -> None:
    now = [0]
    w = JournalWriter(
        tmp_path, "s", fsync="interval", fsync_interval_ms=10, clock_ns=lambda: now[0]
    )
    w.write("submitted_tx", {"opportunity_id": "a"})
    assert w.fsyncs == 0
    now[0] = 11_000_000
    w.write("submitted_tx", {"opportunity_id": "b"})
    assert w.fsyncs == 1
    w.close()
    never = JournalWriter(tmp_path / "n", "s", fsync="never")
    never.write("submitted_tx", {"opportunity_id": "a"})
    never.close()
    assert never.fsyncs == 0
    assert len(list(read_journal(tmp_path / "n"))) == 1


def test_truncated_last_line_is_tolerated_but_not_a_bad_middle_line(tmp_path: Path) -> None:
    with JournalWriter(tmp_path, "s") as w:
        _session(w, 3)
        path = w.files[-1]
    full = path.read_text()
    path.write_text(full + '{"v":1,"record":"deci')
    stats = ReadStats()
    assert len(list(read_journal(tmp_path, stats=stats))) == full.count("\n")
    assert stats.truncated == 1
    lines = full.splitlines(keepends=True)
    lines[2] = "garbage\n"
    path.write_text("".join(lines))
    with pytest.raises(JournalError, match=r":3: not JSON"):
        list(read_journal(tmp_path))


def test_reader_rejects_records_that_break_the_schema(tmp_path: Path) -> None:
    good = {"v": 1, "record": "decision", "seq": 0, "opportunity_id": "x", "action": "send"}
    assert problems(good) == []
    assert problems({**good, "action": "skip"}) == ["decision.reason None is not a skip reason"]
    assert problems({**good, "reason": "min_ev"}) == ["decision.reason must be null on a send"]
    assert problems({**good, "v": 2}) == ["schema version 2 is not 1"]
    assert problems({**good, "record": "nope"}) == ["unknown record kind 'nope'"]
    bad_landed = {"v": 1, "record": "landed", "seq": 1, "opportunity_id": "x", "outcome": "won"}
    assert "landed.outcome" in problems(bad_landed)[0]
    (tmp_path / "s-20260101T000000000000Z-0000.jsonl").write_text(json.dumps(bad_landed) + "\n")
    with pytest.raises(JournalError, match=r"landed\.outcome"):
        list(read_journal(tmp_path))
    with pytest.raises(RecordError), JournalWriter(tmp_path / "w", "s") as w:
        w.write("made_up", {})


def test_summary_counts_pnl_ev_and_latency(tmp_path: Path) -> None:
    with JournalWriter(tmp_path, "s") as w:
        _session(w, 9)  # o0, o3, o6 skipped; 6 sent and filled
        w.write("session_end", {"strategy": "s", "balances": {"USDC": 1240}})
        session = w.session
    summary = summarise(read_journal(tmp_path), strategy="s", session=session)
    assert summary["decisions"] == {"skip": 3, "send": 6}
    assert summary["skip_reasons"] == {"min_ev": 3}
    assert summary["outcomes"] == {"paper": 6}
    assert summary["pnl_atoms"] == 6 * 40
    ev = summary["ev"]
    assert isinstance(ev, dict)
    assert (ev["predicted"], ev["realised"], ev["fills"]) == (300, 240, 6)
    assert ev["abs_error_bps_median"] == 10.0  # |50 − 40| on 10,000
    assert summary["balances"] == {
        "start": {"USDC": 1000},
        "end": {"USDC": 1240},
        "pnl": {"USDC": 240},
    }
    assert summary["guards"]["trips"] == {"ev_drift": 1}  # type: ignore[index]
    assert summary["latency_ns"]["samples"] == 6  # type: ignore[index]


def test_recover_summarises_crashed_sessions_once(tmp_path: Path) -> None:
    crashed = JournalWriter(tmp_path, "s", session="20260101T000000000000Z")
    _session(crashed, 4)
    crashed.flush()  # no close, no summary: the process died here
    clean = JournalWriter(tmp_path, "s", session="20260102T000000000000Z")
    _session(clean, 4)
    clean.close()
    write_summary(
        tmp_path, summarise(read_journal(clean.files[0]), strategy="s", session=clean.session)
    )
    current = "20260103T000000000000Z"
    written = recover(tmp_path, exclude=current)
    assert [p.name for p in written] == ["s-20260101T000000000000Z-summary.json"]
    doc = json.loads(written[0].read_text())
    assert doc["recovered"] is True
    assert doc["pnl_atoms"] == 2 * 40
    assert recover(tmp_path, exclude=current) == []
    assert past_pnls(tmp_path, "s") == [80, 80]
