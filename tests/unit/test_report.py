"""`solarb report`: figures from a journal this test writes, and the pages and plots made of them.

The journal is written by the real JournalWriter from domain objects (Opportunity, Decision,
ExecutionReport, GuardTrip) turned into records the way the engine does.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread
from solders.pubkey import Pubkey

from solarb_runtime.cli import main
from solarb_runtime.domain.decision import Decision, ExecutionReport, GuardTrip, SkipReason
from solarb_runtime.domain.opportunity import Leg, Opportunity, ev_bps, opportunity_id
from solarb_runtime.engine import opportunity_doc
from solarb_runtime.journal.reader import read_journal
from solarb_runtime.journal.writer import JournalWriter
from solarb_runtime.report.figures import figures

USDC, SOL = Pubkey.new_unique(), Pubkey.new_unique()
POOLS = (Pubkey.new_unique(), Pubkey.new_unique())
# Distinct counts, so the ranking has one right answer.
SKIPS: dict[SkipReason, int] = {"duplicate": 40, "min_ev": 25, "stale_feed": 10, "tps": 4}
SENDS = 60
PNGS = ("latency", "slippage", "ev_error", "inclusion", "pnl", "skips")


def _opportunity(rng: random.Random, slot: int) -> Opportunity:
    size = rng.randrange(100, 5_000) * 10**6
    mid = size * 7 // 1000
    back = size + rng.randrange(-200, 3_000) * 10**3
    costs = 5_000
    legs = (
        Leg("raydium-cpmm", POOLS[0], USDC, SOL, size, mid, mid * 995 // 1000),
        Leg("orca-whirlpool", POOLS[1], SOL, USDC, mid, back, back * 995 // 1000),
    )
    ev = back - size - costs
    route = f"{POOLS[0]}>{POOLS[1]}"
    return Opportunity(
        opportunity_id(route, slot, size),
        "edge",
        USDC,
        legs,
        size,
        back,
        costs,
        ev,
        ev_bps(ev, size),
        slot,
        slot * 400_000_000,
    )


def _journal(directory: Path, seed: int = 7) -> list[tuple[Opportunity, ExecutionReport | None]]:
    """A paper session: skips by reason, sends filled (some short) or failed, one trip."""
    rng = random.Random(seed)
    actions: list[str] = [r for r, n in SKIPS.items() for _ in range(n)] + ["send"] * SENDS
    rng.shuffle(actions)
    out: list[tuple[Opportunity, ExecutionReport | None]] = []
    with JournalWriter(directory, "sol-usdc", fsync="never", rotate_bytes=32_768) as w:
        w.write(
            "session_start", {"strategy": "sol-usdc", "mode": "paper", "balances": {str(USDC): 0}}
        )
        for slot, action in enumerate(actions, start=1000):
            opp = _opportunity(rng, slot)
            now = opp.detected_ns + rng.randrange(20_000, 400_000)
            if action == "send":
                decision = Decision(opp.id, "send", "paper", decided_ns=now)
            else:
                decision = Decision(opp.id, "skip", "paper", action, "limit", now)  # type: ignore[arg-type]
            w.write("edge_snapshot", opportunity_doc(opp))
            w.write(
                "decision",
                {**asdict(decision), "latency_ns": now - opp.detected_ns, "ts_ns": now},
            )
            report = None
            if decision.sent:
                w.write("submitted_tx", {"opportunity_id": opp.id, "mode": "paper", "ts_ns": now})
                short = rng.randrange(0, 40) * opp.gross_out // 100_000  # 0–3.9 bps
                if rng.random() < 0.2:
                    report = ExecutionReport(opp.id, "failed", ev_real=-opp.costs, error="slippage")
                else:
                    out_amount = opp.gross_out - short
                    report = ExecutionReport(
                        opp.id,
                        "paper",
                        ev_real=out_amount - opp.size - opp.costs,
                        amount_out=out_amount,
                        latency_ns=400_000_000,
                    )
                w.write("landed", {**asdict(report), "ts_ns": now + 400_000_000})
            out.append((opp, report))
        trip = GuardTrip("ev_drift", "median |ev error| <over> 25 bps", 31.0, 25.0, now, "paper")
        w.write("guard_trip", asdict(trip))
        w.write("session_end", {"strategy": "sol-usdc", "balances": {str(USDC): 1}})
    return out


def test_figures_follow_from_the_journal(tmp_path: Path) -> None:
    written = _journal(tmp_path)
    fig = figures(list(read_journal(tmp_path)))
    assert fig.strategy == "sol-usdc"
    assert [(s.reason, s.count) for s in fig.skips] == Counter(SKIPS).most_common()
    assert sum(s.share for s in fig.skips) == pytest.approx(1.0)
    reports = [(o, r) for o, r in written if r is not None]
    fills = [(o, r) for o, r in reports if r.outcome == "paper"]
    assert fig.outcomes == dict(sorted(Counter(r.outcome for _, r in reports).items()))
    assert fig.inclusion_rate == len(fills) / len(reports)
    expected_slip = sorted(
        (o.gross_out - r.amount_out) * 10_000 / o.gross_out for o, r in fills if r.amount_out
    )
    assert sorted(fig.slippage_bps) == pytest.approx(expected_slip)
    assert max(fig.slippage_bps) > 0
    expected_err = sorted(
        (r.ev_real - o.ev_pred) * 10_000 / o.size for o, r in reports if r.ev_real is not None
    )
    assert sorted(fig.ev_error_bps) == pytest.approx(expected_err)
    assert fig.pnl[-1].pnl_atoms == sum(r.ev_real or 0 for _, r in reports)
    assert [p.t_s for p in fig.pnl] == sorted(p.t_s for p in fig.pnl)
    assert fig.pnl_clock == "source"
    assert len(fig.latency_us["tick_to_decision"]) == len(written)
    assert fig.unmatched_fills == 0


def _png_ok(path: Path, min_bytes: int = 8_000, min_std: float = 0.05) -> None:
    assert path.stat().st_size > min_bytes, path
    pixels = np.asarray(imread(path))
    assert pixels.shape[0] >= 300
    assert pixels.shape[1] >= 600
    colours = np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)
    assert len(colours) > 20, f"{path.name}: {len(colours)} colours"
    assert float(pixels[..., :3].std()) > min_std, path.name


def test_solarb_report_writes_pages_and_plots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal, out = tmp_path / "journal", tmp_path / "out"
    _journal(journal)
    assert main(["report", str(journal), "--out", str(out)]) == 0
    printed = capsys.readouterr().out.split()
    for name in PNGS:
        assert str(out / f"{name}.png") in printed
        _png_ok(out / f"{name}.png")
    md = (out / "report.md").read_text()
    ranked = [
        f"| {i} | {reason} | {n} |" for i, (reason, n) in enumerate(Counter(SKIPS).most_common(), 1)
    ]
    positions = [md.index(row) for row in ranked]
    assert positions == sorted(positions)
    assert md.index("## Skip reasons") < positions[0]
    assert all(f"![{name}.png]({name}.png)" in md for name in PNGS)
    assert "| ev_drift | median \\|ev error\\| <over> 25 bps |" in md
    page = (out / "report.html").read_text()
    assert "<td>duplicate</td><td>40</td>" in page
    assert "&lt;over&gt;" in page
    assert "<over>" not in page
    assert all(f'<img src="{name}.png"' in page for name in PNGS)


def test_a_sparse_damaged_journal_still_reports_and_strict_refuses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal, out = tmp_path / "journal", tmp_path / "out"
    with JournalWriter(journal, "quiet") as w:
        w.write("session_start", {"strategy": "quiet", "mode": "shadow"})
        w.write("decision", {"opportunity_id": "x", "action": "skip", "reason": "min_ev"})
        path = w.path
    path.write_text(path.read_text() + "oops\n")
    assert main(["report", str(journal), "--out", str(out)]) == 0
    assert f"skipped {path}:3: not JSON" in capsys.readouterr().err
    md = (out / "report.md").read_text()
    assert "| 1 | min_ev | 1 | 100.0% |" in md
    assert f"- {path}:3: not JSON" in md
    assert "no (crashed or still running)" in md
    # "no data" plots are still real images: mostly white, with text.
    _png_ok(out / "pnl.png", min_bytes=3_000, min_std=0.01)
    assert main(["report", str(journal), "--out", str(out), "--strict"]) == 2
    assert ":3: not JSON" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
