"""Bench results → the text table `solarb bench quotes` prints (pure: no I/O, no clock)."""

from __future__ import annotations

from solarb_runtime.bench.quotes import BenchReport, VenueResult


def rate(value: float) -> str:
    """A rate in short human form: 950, 12.3k, 1.25M."""
    if value >= 1e6:
        return f"{value / 1e6:.2f}M"
    if value >= 1e4:
        return f"{value / 1e3:.0f}k"
    if value >= 1e3:
        return f"{value / 1e3:.1f}k"
    return f"{value:.0f}"


def shape(result: VenueResult) -> str:
    """Cases per step count, e.g. `0:41% 1:33% 2:26% ticks crossed`."""
    parts = [f"{steps}:{100 * n / result.cases:.0f}%" for steps, n in result.steps]
    return f"{' '.join(parts)} {result.step_unit}"


def _ratio(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.2f}x"


def _maybe(value: float | None) -> str:
    return "n/a" if value is None else rate(value)


def _mark(value: float, goal: int) -> str:
    return "ok" if value >= goal else "BELOW"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = [
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        out.append("  ".join(cells).rstrip())
    return out


def render(report: BenchReport) -> str:
    """The whole report: context line, quotes table, decodes table, SDK notes."""
    load = (
        "n/a" if report.load_average is None else " ".join(f"{x:.2f}" for x in report.load_average)
    )
    cpu = "unpinned" if report.cpu is None else f"cpu {report.cpu}"
    node = report.node or "no node"
    lines = [
        f"solarb bench quotes  seed {report.seed}  one core ({cpu})  load avg {load}  "
        f"python {report.python}  node {node}",
        "",
    ]
    quotes = [
        [
            "venue",
            "cases",
            "ours q/s",
            "goal",
            "",
            "SDK q/s",
            "ours/SDK",
            "native q/s",
            "native/SDK",
            "q/cpu-s",
            "shape",
        ]
    ]
    for r in report.venues:
        sdk = "n/a" if r.sdk_quotes_per_s is None else rate(r.sdk_quotes_per_s)
        quotes.append(
            [
                r.kind,
                str(r.cases),
                rate(r.quotes_per_s),
                rate(r.goal),
                _mark(r.quotes_per_s, r.goal),
                sdk,
                _ratio(r.ratio),
                _maybe(r.native_quotes_per_s),
                _ratio(r.native_ratio),
                rate(r.quotes_per_cpu_s),
                shape(r),
            ]
        )
    lines += _table(quotes)
    lines.append("")
    decodes = [
        [
            "venue",
            "pools",
            "accounts/pool",
            "pool decodes/s",
            "account decodes/s",
            "goal",
            "",
            "native pool decodes/s",
        ]
    ]
    for r in report.venues:
        decodes.append(
            [
                r.kind,
                str(r.states),
                f"{r.accounts_per_pool:.1f}",
                rate(r.pool_decodes_per_s),
                rate(r.account_decodes_per_s),
                rate(report.decode_goal),
                _mark(r.account_decodes_per_s, report.decode_goal),
                _maybe(r.native_pool_decodes_per_s),
            ]
        )
    lines += _table(decodes)
    notes = [f"{r.kind}: SDK {r.sdk_note}" for r in report.venues if r.sdk_note]
    if notes:
        lines.append("")
        lines += notes
    lines += [
        "",
        "q/s: wall clock, best of the repeats (the goals and the ratio use it); q/cpu-s: per",
        "second of this thread's CPU time, which leaves out time other processes held the core.",
        "ours: the Python venues (the reference); native: the Rust core the engine runs on",
        "the same cases (n/a where it declines a pool).",
    ]
    return "\n".join(lines) + "\n"
