"""The figures of a report, computed from journal records alone (pure, no I/O).

Slippage is how far a fill's output fell short of the quoted output of the route
(`gross_out`), in bps of the quote: positive is worse than predicted. EV error is realised
minus predicted EV, in bps of the size. Both need the fill's `edge_snapshot`; fills
without one are counted in `unmatched_fills` and left out of those two histograms.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from solarb_runtime.journal.summary import summarise

# Outcomes that mean the trade happened (a paper fill stands in for a landed tx).
INCLUDED = frozenset({"landed", "paper"})


@dataclass(frozen=True, slots=True)
class SkipRank:
    reason: str
    count: int
    share: float  # of all skips


@dataclass(frozen=True, slots=True)
class PnlPoint:
    t_s: float
    pnl_atoms: int


@dataclass(frozen=True, slots=True)
class ReportFigures:
    """Everything a report shows; amounts in atoms, latencies in µs."""

    strategy: str
    sessions: tuple[str, ...]
    summary: Mapping[str, object]
    latency_us: Mapping[str, tuple[float, ...]]  # stage → samples
    slippage_bps: tuple[float, ...]
    ev_error_bps: tuple[float, ...]
    outcomes: Mapping[str, int]
    inclusion_rate: float | None
    pnl: tuple[PnlPoint, ...]
    pnl_clock: str  # "source" or "wall": which clock `pnl` times are on
    skips: tuple[SkipRank, ...]
    unmatched_fills: int
    bad_lines: tuple[str, ...] = ()


# The hot path's stages in the order they run; others (from `stages_ns`) follow by name.
STAGES = ("decode", "find", "guard", "tick_to_decision", "execute", "journal", "submit_to_land")


def stage_order(stage: str) -> tuple[int, str]:
    return (STAGES.index(stage) if stage in STAGES else len(STAGES), stage)


def rank_skips(counts: Mapping[str, int]) -> tuple[SkipRank, ...]:
    """Skip reasons, most frequent first (ties by name, so the order is stable)."""
    total = sum(counts.values())
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(SkipRank(r, n, n / total) for r, n in ordered if n > 0)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _wall_s(record: Mapping[str, object]) -> float:
    return datetime.fromisoformat(str(record["wall"])).timestamp()


def figures(
    records: Iterable[Mapping[str, object]], *, bad_lines: Sequence[str] = ()
) -> ReportFigures:
    """The report figures of `records` (one session or several, in write order)."""
    rows = list(records)
    sessions = tuple(dict.fromkeys(str(r.get("session")) for r in rows))
    strategies = [str(r["strategy"]) for r in rows if r["record"] == "session_start"]
    strategy = strategies[0] if strategies else "unknown"
    summary = summarise(
        rows, strategy=strategy, session=sessions[0] if len(sessions) == 1 else "many"
    )
    snapshots: dict[str, Mapping[str, object]] = {}
    latency: dict[str, list[float]] = {}
    slippage: list[float] = []
    ev_error: list[float] = []
    outcomes: Counter[str] = Counter()
    skips: Counter[str] = Counter()
    fills: list[tuple[float | None, float, int]] = []  # (source s, wall s, ev_real)
    unmatched = 0
    for r in rows:
        kind = r["record"]
        oid = str(r.get("opportunity_id"))
        if kind == "edge_snapshot":
            snapshots[oid] = r
        elif kind == "decision":
            if r["action"] == "skip":
                skips[str(r["reason"])] += 1
            _sample(latency, "tick_to_decision", r.get("latency_ns"))
            stages = r.get("stages_ns")
            if isinstance(stages, dict):
                for name, value in stages.items():
                    _sample(latency, str(name), value)
        elif kind == "landed":
            outcomes[str(r["outcome"])] += 1
            _sample(latency, "submit_to_land", r.get("latency_ns"))
            ev_real = _int(r.get("ev_real"))
            if ev_real is None:
                continue
            ts = _int(r.get("ts_ns"))
            fills.append((None if ts is None else ts / 1e9, _wall_s(r), ev_real))
            snap = snapshots.get(oid)
            if snap is None:
                unmatched += 1
                continue
            size, ev_pred = _int(snap.get("size")), _int(snap.get("ev_pred"))
            if size and ev_pred is not None:
                ev_error.append((ev_real - ev_pred) * 10_000 / size)
            quoted, out = _int(snap.get("gross_out")), _int(r.get("amount_out"))
            if quoted and out is not None and str(r["outcome"]) in INCLUDED:
                slippage.append((quoted - out) * 10_000 / quoted)
    executed = sum(n for o, n in outcomes.items() if o != "shadow")
    included = sum(outcomes[o] for o in INCLUDED)
    points, clock = _pnl_series(fills, single_session=len(sessions) == 1)
    return ReportFigures(
        strategy=strategy,
        sessions=sessions,
        summary=summary,
        latency_us={k: tuple(latency[k]) for k in sorted(latency, key=stage_order)},
        slippage_bps=tuple(slippage),
        ev_error_bps=tuple(ev_error),
        outcomes=dict(sorted(outcomes.items())),
        inclusion_rate=included / executed if executed else None,
        pnl=points,
        pnl_clock=clock,
        skips=rank_skips(skips),
        unmatched_fills=unmatched,
        bad_lines=tuple(bad_lines),
    )


def _sample(into: dict[str, list[float]], stage: str, ns: object) -> None:
    value = _int(ns)
    if value is not None and value > 0:
        into.setdefault(stage, []).append(value / 1e3)


def _pnl_series(
    fills: Sequence[tuple[float | None, float, int]], *, single_session: bool
) -> tuple[tuple[PnlPoint, ...], str]:
    """Cumulative realised PnL over time, on the source clock when one session has it."""
    if not fills:
        return (), "source"
    sources = [src for src, _, _ in fills if src is not None]
    use_source = single_session and len(sources) == len(fills)
    times = sources if use_source else [wall for _, wall, _ in fills]
    origin = min(times)
    total = 0
    points: list[PnlPoint] = []
    for t, (_, _, ev) in sorted(zip(times, fills, strict=True), key=lambda p: p[0]):
        total += ev
        points.append(PnlPoint(t - origin, total))
    return tuple(points), "source" if use_source else "wall"
