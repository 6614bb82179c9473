"""Session summaries: outcome and skip counts, EV error, per-stage latency, recovery."""

from __future__ import annotations

import json
from pathlib import Path

from solarb_runtime.journal.reader import read_journal
from solarb_runtime.journal.summary import distribution, recover, summarise
from solarb_runtime.journal.writer import JournalWriter

SIZE = 1_000_000
SOL, USDC = (
    "So11111111111111111111111111111111111111112",
    "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
)
# (id, token, ev_pred, action/reason, outcome, ev_real, decision latency ns, land latency ns)
ROWS = [
    ("a", USDC, 900, "send", "landed", 800, 1_000, 5_000_000),
    ("b", USDC, 500, "send", "landed", 500, 2_000, 6_000_000),
    ("c", SOL, 700, "send", "failed", -100, 3_000, 7_000_000),
    ("d", USDC, 300, "send", "dropped", None, 4_000, 0),
    ("e", USDC, 100, "min_ev", None, None, 5_000, 0),
    ("f", USDC, 100, "min_ev", None, None, 6_000, 0),
    ("g", USDC, 900, "duplicate", None, None, 7_000, 0),
    ("h", USDC, 900, "duplicate", None, None, 8_000, 0),
    ("i", USDC, 900, "duplicate", None, None, 9_000, 0),
    ("j", USDC, 900, "stale_feed", None, None, 10_000, 0),
    ("k", USDC, 900, "tps", None, None, 11_000, 0),
]


def _write(w: JournalWriter, *, end: bool) -> None:
    w.write("session_start", {"strategy": "s", "mode": "live", "balances": {USDC: 10_000}})
    for oid, token, ev_pred, action, outcome, ev_real, lat, land in ROWS:
        w.write(
            "edge_snapshot",
            {"opportunity_id": oid, "token": token, "legs": [], "size": SIZE, "ev_pred": ev_pred},
        )
        send = action == "send"
        w.write(
            "decision",
            {
                "opportunity_id": oid,
                "action": "send" if send else "skip",
                "reason": None if send else action,
                "latency_ns": lat,
                "stages_ns": {"find": lat // 2, "guard": lat // 4},
            },
        )
        if send:
            w.write("submitted_tx", {"opportunity_id": oid})
            w.write(
                "landed",
                {"opportunity_id": oid, "outcome": outcome, "ev_real": ev_real, "latency_ns": land},
            )
    for ms, ok in ((2.0, True), (4.0, True), (40.0, False)):
        w.write("rpc_sample", {"endpoint": "http://127.0.0.1:8899", "latency_ms": ms, "ok": ok})
    w.write("guard_trip", {"kind": "latency_slo", "reason": "p99 over 50 ms", "value": 60.0})
    if end:
        w.write("session_end", {"strategy": "s", "balances": {USDC: 11_300}})


def test_summary_figures_follow_from_the_records(tmp_path: Path) -> None:
    with JournalWriter(tmp_path, "s") as w:
        _write(w, end=True)
        session = w.session
    s = summarise(read_journal(tmp_path), strategy="s", session=session)
    sends = [r for r in ROWS if r[3] == "send"]
    assert s["decisions"] == {"send": len(sends), "skip": len(ROWS) - len(sends)}
    assert s["skip_reasons"] == {"duplicate": 3, "min_ev": 2, "stale_feed": 1, "tps": 1}
    assert s["outcomes"] == {"dropped": 1, "failed": 1, "landed": 2}
    assert s["submitted"] == len(sends)
    assert s["inclusion"] == {"executed": 4, "included": 2, "rate": 0.5}
    assert s["complete"] is True
    filled = [r for r in sends if r[5] is not None]
    assert s["pnl_atoms"] == sum(r[5] for r in filled)  # type: ignore[misc]
    assert s["pnl_atoms_by_token"] == {SOL: -100, USDC: 1_300}
    assert s["balances"]["pnl"] == {USDC: 1_300}  # type: ignore[index]
    ev = s["ev"]
    assert isinstance(ev, dict)
    assert ev["predicted_sent"] == sum(r[2] for r in sends)
    assert ev["predicted"] == sum(r[2] for r in filled)
    assert ev["realised"] == sum(r[5] for r in filled)  # type: ignore[misc]
    errors = sorted(abs(r[2] - r[5]) * 10_000 / SIZE for r in filled)  # type: ignore[operator]
    assert errors == [0.0, 1.0, 8.0]
    assert (ev["abs_error_bps_median"], ev["abs_error_bps_p95"]) == (1.0, 8.0)
    stages = s["latency_stages_ns"]
    assert isinstance(stages, dict)
    ticks = [r[6] for r in ROWS]
    # 11 samples: nearest rank p50 is the 6th, p99 the largest.
    assert stages["tick_to_decision"] == distribution(ticks)
    assert (stages["tick_to_decision"]["p50"], stages["tick_to_decision"]["p99"]) == (6_000, 11_000)
    assert s["latency_ns"] == {"samples": 11, "p50": 6_000, "p99": 11_000}
    assert stages["find"]["samples"] == 11
    assert stages["submit_to_land"]["samples"] == 3  # a dropped tx has no landing time
    rpc = s["rpc_latency_ms"]["http://127.0.0.1:8899"]  # type: ignore[index]
    assert (rpc["samples"], rpc["p50"], rpc["max"], rpc["errors"]) == (3, 4.0, 40.0, 1)
    guards = s["guards"]
    assert isinstance(guards, dict)
    assert guards["trips"] == {"latency_slo": 1}
    assert guards["blocked"] == 7


def test_recovery_summarises_a_crashed_and_damaged_session(tmp_path: Path) -> None:
    w = JournalWriter(tmp_path, "s", session="20260101T000000000000Z")
    _write(w, end=False)
    w.flush()  # the process dies: no session_end, no summary
    lines = w.path.read_text().splitlines(keepends=True)
    lines[3] = "\x00\x00\x00\n"  # a damaged block in the middle
    w.path.write_text("".join(lines) + '{"schema":1,"rec')
    [path] = recover(tmp_path)
    doc = json.loads(path.read_text())
    assert doc["recovered"] is True
    assert doc["complete"] is False
    assert doc["truncated_records"] == 1
    assert len(doc["bad_lines"]) == 2
    assert doc["bad_lines"][1].startswith(f"{w.path}:4: not JSON")
    assert doc["records"] == len(lines) - 1
    assert doc["balances"]["end"] is None
