"""The live view: redraws in place on a terminal, one line per interval on a pipe."""

from __future__ import annotations

import io
import re
from dataclasses import replace

from solarb_runtime.view import LiveView, ViewSnapshot, render_block, render_line

SNAP = ViewSnapshot(
    name="sol-usdc",
    source="sim",
    mode="paper",
    mode_configured="paper",
    elapsed_s=3.0,
    slot=300_000_010,
    account_updates=420,
    pools=4,
    opportunities=12,
    sent=5,
    skipped={"min_ev": 4, "duplicate": 2, "tps": 1},
    outcomes={"paper": 4, "failed": 1},
    token="USDC",
    ev_pred=1.25,
    pnl=0.75,
    latency_p50_us=120.0,
    latency_p99_us=900.0,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_block_shows_counts_skip_reasons_pnl_latency_and_mode_changes() -> None:
    text = "\n".join(render_block(SNAP))
    for part in ("found       12", "taken 5", "min_ev=4", "duplicate=2", "+0.750000 USDC"):
        assert part in text
    assert "p50 120 us" in text
    assert "p99 900 us" in text
    tripped = replace(SNAP, mode="shadow", trips=("ev_drift: median 40 bps",), killed=True)
    text = "\n".join(render_block(tripped))
    assert "mode=shadow (configured paper) KILLED" in text
    assert "ev_drift: median 40 bps" in text
    assert "taken=5" in render_line(SNAP)
    assert "min_ev=4" in render_line(SNAP)


def test_terminal_redraws_in_place_and_respects_the_interval() -> None:
    out, clock = io.StringIO(), Clock()
    view = LiveView(out, interactive=True, interval_s=0.25, clock=clock)
    view.draw(SNAP)
    first = out.getvalue()
    assert not re.search(r"\x1b\[\d+F", first)  # the first draw does not move the cursor up
    clock.now = 0.1
    view.draw(replace(SNAP, sent=6))  # too soon: nothing drawn
    assert out.getvalue() == first
    clock.now = 0.3
    view.draw(replace(SNAP, sent=6))
    second = out.getvalue()[len(first) :]
    lines = len(render_block(SNAP))
    assert second.startswith(f"\x1b[{lines}F")  # cursor back to the block's first line
    assert "taken 6" in second


def test_pipe_gets_one_line_per_draw() -> None:
    out, clock = io.StringIO(), Clock()
    view = LiveView(out, interactive=False, interval_s=5.0, clock=clock)
    view.draw(SNAP)
    clock.now = 1.0
    view.draw(SNAP)
    view.draw(SNAP, force=True)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert all("\x1b" not in line for line in lines)
