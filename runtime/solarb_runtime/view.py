"""The live terminal view of `solarb run`: what the strategy found, took and skipped.

On a terminal the view redraws a small block in place (ANSI cursor-up, no curses); on a
pipe or file it prints one summary line per interval, so logs stay readable. The view
only formats a `ViewSnapshot`; the caller fills it from the engine (this module sits
below the engine and knows nothing of it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TextIO

_CLEAR_LINE = "\x1b[2K"


@dataclass(frozen=True, slots=True)
class ViewSnapshot:
    """Everything the view shows, as plain figures (amounts already in token units)."""

    name: str
    source: str
    mode: str
    mode_configured: str
    elapsed_s: float
    slot: int
    account_updates: int
    pools: int
    opportunities: int
    sent: int
    skipped: Mapping[str, int]
    outcomes: Mapping[str, int]
    token: str
    ev_pred: float
    pnl: float
    latency_p50_us: float
    latency_p99_us: float
    guard_counters: Mapping[str, int] = field(default_factory=dict)
    trips: tuple[str, ...] = ()
    killed: bool = False
    notes: tuple[str, ...] = ()


def _skips(skipped: Mapping[str, int], limit: int = 6) -> str:
    if not skipped:
        return "none"
    ranked = sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0]))
    text = " ".join(f"{reason}={count}" for reason, count in ranked[:limit])
    rest = sum(count for _, count in ranked[limit:])
    return f"{text} other={rest}" if rest else text


def render_block(s: ViewSnapshot) -> list[str]:
    """The multi-line block shown on a terminal."""
    mode = s.mode if s.mode == s.mode_configured else f"{s.mode} (configured {s.mode_configured})"
    if s.killed:
        mode += " KILLED"
    outcomes = " ".join(f"{k}={v}" for k, v in sorted(s.outcomes.items())) or "none"
    guards = " ".join(f"{k}={v}" for k, v in sorted(s.guard_counters.items()) if v) or "clear"
    lines = [
        f"solarb {s.name}  source={s.source}  mode={mode}  t={s.elapsed_s:6.1f}s  slot={s.slot}",
        f"  market      {s.account_updates} account updates, {s.pools} pools",
        f"  found       {s.opportunities}   taken {s.sent}   outcomes {outcomes}",
        f"  skipped     {_skips(s.skipped)}",
        f"  pnl         {s.pnl:+.6f} {s.token}  (ev predicted {s.ev_pred:+.6f})",
        f"  latency     tick->decision p50 {s.latency_p50_us:.0f} us"
        f"  p99 {s.latency_p99_us:.0f} us",
        f"  guards      {guards}",
    ]
    if s.trips:
        lines.append(f"  trips       {'; '.join(s.trips[-3:])}")
    lines.extend(f"  note        {note}" for note in s.notes)
    return lines


def render_line(s: ViewSnapshot) -> str:
    """One line per interval for a log or pipe."""
    trips = f" trips={len(s.trips)}" if s.trips else ""
    return (
        f"[{s.elapsed_s:7.1f}s] {s.name} mode={s.mode} slot={s.slot} found={s.opportunities} "
        f"taken={s.sent} skipped=[{_skips(s.skipped, 4)}] pnl={s.pnl:+.6f} {s.token} "
        f"p50={s.latency_p50_us:.0f}us p99={s.latency_p99_us:.0f}us{trips}"
    )


class LiveView:
    """Draws snapshots to `out` at most every `interval_s` (wall clock)."""

    def __init__(
        self,
        out: TextIO,
        *,
        interactive: bool | None = None,
        interval_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.out = out
        self.interactive = out.isatty() if interactive is None else interactive
        # A terminal redraws often; a log gets a line every few seconds.
        self.interval_s = (
            interval_s if interval_s is not None else (0.25 if self.interactive else 5.0)
        )
        self._clock = clock
        self._last: float | None = None
        self._drawn = 0

    def due(self) -> bool:
        now = self._clock()
        return self._last is None or now - self._last >= self.interval_s

    def draw(self, snapshot: ViewSnapshot, *, force: bool = False) -> None:
        if not force and not self.due():
            return
        self._last = self._clock()
        if not self.interactive:
            self.out.write(render_line(snapshot) + "\n")
            self.out.flush()
            return
        lines = render_block(snapshot)
        text = f"\x1b[{self._drawn}F" if self._drawn else ""
        text += "".join(f"{_CLEAR_LINE}{line}\n" for line in lines)
        # A block that shrank leaves old lines below it: clear them.
        extra = self._drawn - len(lines)
        if extra > 0:
            text += f"{_CLEAR_LINE}\n" * extra + f"\x1b[{extra}F"
        self.out.write(text)
        self.out.flush()
        self._drawn = len(lines)
