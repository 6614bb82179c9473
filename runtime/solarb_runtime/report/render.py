"""Rendering report figures for a person: PNG plots, a markdown page and an HTML page.

Both pages come from one neutral outline (headings, tables, images, notes), so they
always say the same thing. Plots use matplotlib's object API with the Agg canvas: no
pyplot global state, no display needed.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from solarb_runtime.journal.summary import distribution
from solarb_runtime.report.figures import ReportFigures

Cell = str | int | float | None


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    tables: tuple[Table, ...] = ()
    notes: tuple[str, ...] = ()
    images: tuple[str, ...] = ()  # file names next to the page


@dataclass(frozen=True, slots=True)
class ReportFiles:
    markdown: Path
    html: Path
    plots: Mapping[str, Path] = field(default_factory=dict)


# --- plots ------------------------------------------------------------------------------

_DPI = 100


def _figure() -> Figure:
    fig = Figure(figsize=(8, 4.5), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _bins(samples: Sequence[float]) -> int:
    # Square-root rule, bounded: readable for 10 samples and for 100,000.
    return max(5, min(60, int(math.sqrt(len(samples))) or 1))


def _no_data(fig: Figure, title: str) -> None:
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.text(0.5, 0.5, "no data in this journal", ha="center", va="center", fontsize=14)
    ax.set_axis_off()


def _histogram(samples: Sequence[float], title: str, xlabel: str, path: Path) -> Path:
    fig = _figure()
    if not samples:
        _no_data(fig, title)
    else:
        ax = fig.add_subplot()
        ax.hist(samples, bins=_bins(samples), color="#3b75af", edgecolor="white")
        d = distribution(samples)
        for q, style in (("p50", "--"), ("p99", ":")):
            value = d[q]
            if value is not None:
                ax.axvline(float(value), color="#c44e52", linestyle=style, label=f"{q} {value:.4g}")
        ax.set_title(f"{title} (n={len(samples)})")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("count")
        ax.legend()
    fig.savefig(path)
    return path


def _latency(fig_data: ReportFigures, path: Path) -> Path:
    stages = [(k, v) for k, v in fig_data.latency_us.items() if v]
    fig = _figure()
    if not stages:
        _no_data(fig, "latency")
    else:
        axes = fig.subplots(1, len(stages), squeeze=False)[0]
        for ax, (stage, samples) in zip(axes, stages, strict=True):
            # Milliseconds for slow stages (landing) so the axis stays readable.
            unit, scale = ("ms", 1e3) if max(samples) >= 20_000 else ("µs", 1.0)
            scaled = [v / scale for v in samples]
            ax.hist(scaled, bins=_bins(scaled), color="#55a868", edgecolor="white")
            ax.ticklabel_format(axis="x", useOffset=False)
            ax.set_title(f"{stage} (n={len(samples)})", fontsize=9)
            ax.set_xlabel(unit)
        axes[0].set_ylabel("count")
    fig.savefig(path)
    return path


def _bars(
    labels: Sequence[str], counts: Sequence[int], title: str, path: Path, *, horizontal: bool
) -> Path:
    fig = _figure()
    if not counts:
        _no_data(fig, title)
    else:
        ax = fig.add_subplot()
        if horizontal:
            # Most frequent on top.
            ax.barh(list(reversed(labels)), list(reversed(counts)), color="#8172b3")
            ax.set_xlabel("count")
        else:
            ax.bar(labels, counts, color="#dd8452")
            ax.set_ylabel("count")
        ax.set_title(title)
    fig.savefig(path)
    return path


def _pnl(data: ReportFigures, path: Path) -> Path:
    fig = _figure()
    if not data.pnl:
        _no_data(fig, "PnL over time")
    else:
        ax = fig.add_subplot()
        ax.step(
            [0.0, *(p.t_s for p in data.pnl)], [0, *(p.pnl_atoms for p in data.pnl)], where="post"
        )
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.set_title("cumulative realised PnL")
        ax.set_xlabel(f"{data.pnl_clock} time since first fill (s)")
        ax.set_ylabel("atoms")
    fig.savefig(path)
    return path


def render_plots(data: ReportFigures, out: Path) -> dict[str, Path]:
    """Every plot of the report as a PNG in `out`; name → path."""
    rate = "n/a" if data.inclusion_rate is None else f"{data.inclusion_rate:.1%}"
    outcomes = list(data.outcomes.items())
    return {
        "latency": _latency(data, out / "latency.png"),
        "slippage": _histogram(
            data.slippage_bps, "slippage vs quote", "bps of quoted output", out / "slippage.png"
        ),
        "ev_error": _histogram(
            data.ev_error_bps,
            "EV error (realised − predicted)",
            "bps of size",
            out / "ev_error.png",
        ),
        "inclusion": _bars(
            [o for o, _ in outcomes],
            [n for _, n in outcomes],
            f"outcomes of sends (inclusion {rate})",
            out / "inclusion.png",
            horizontal=False,
        ),
        "pnl": _pnl(data, out / "pnl.png"),
        "skips": _bars(
            [s.reason for s in data.skips],
            [s.count for s in data.skips],
            "skip reasons",
            out / "skips.png",
            horizontal=True,
        ),
    }


# --- the outline --------------------------------------------------------------------------


def _f(value: object, digits: int = 4) -> Cell:
    if isinstance(value, float):
        return float(f"{value:.{digits}g}")
    if value is None or isinstance(value, str | int):
        return value
    return str(value)


def _get(doc: Mapping[str, object], *keys: str) -> object:
    value: object = doc
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def outline(data: ReportFigures, plots: Mapping[str, Path]) -> tuple[Section, ...]:
    """The report's content, independent of its format."""
    s = data.summary
    decisions = _get(s, "decisions")
    decisions = decisions if isinstance(decisions, Mapping) else {}
    overview = Table(
        ("figure", "value"),
        (
            ("strategy", data.strategy),
            ("sessions", ", ".join(data.sessions)),
            ("records", _f(s.get("records"))),
            ("opportunities decided", sum(int(str(v)) for v in decisions.values())),
            ("sent", _f(decisions.get("send", 0))),
            ("skipped", _f(decisions.get("skip", 0))),
            ("inclusion rate", _f(data.inclusion_rate)),
            ("realised PnL (atoms)", _f(s.get("pnl_atoms"))),
            ("EV predicted, filled (atoms)", _f(_get(s, "ev", "predicted"))),
            ("EV realised, filled (atoms)", _f(_get(s, "ev", "realised"))),
            ("|EV error| median (bps)", _f(_get(s, "ev", "abs_error_bps_median"))),
            ("|EV error| p95 (bps)", _f(_get(s, "ev", "abs_error_bps_p95"))),
            ("guard trips", len(_trips(s))),
            ("ended cleanly", "yes" if s.get("complete") else "no (crashed or still running)"),
        ),
    )
    latency = Table(
        ("stage", "samples", "p50 µs", "p95 µs", "p99 µs", "max µs"),
        tuple(
            (stage, *(_f(distribution(v)[k]) for k in ("samples", "p50", "p95", "p99", "max")))
            for stage, v in data.latency_us.items()
        ),
    )
    skips = Table(
        ("rank", "skip reason", "count", "share"),
        tuple((i, r.reason, r.count, f"{r.share:.1%}") for i, r in enumerate(data.skips, 1)),
    )
    outcomes = Table(("outcome", "count"), tuple(data.outcomes.items()))
    trips = Table(
        ("kind", "reason", "value", "threshold", "mode after", "at"),
        tuple(
            tuple(
                _f(t.get(k)) for k in ("kind", "reason", "value", "threshold", "mode_after", "wall")
            )
            for t in _trips(s)
        ),
    )
    fills = Table(
        ("figure", "samples", "p50 bps", "p95 bps", "p99 bps"),
        tuple(
            (name, *(_f(distribution(v)[k]) for k in ("samples", "p50", "p95", "p99")))
            for name, v in (
                ("slippage (short of quote)", data.slippage_bps),
                ("EV error (realised − predicted)", data.ev_error_bps),
            )
        ),
    )
    img = {name: path.name for name, path in plots.items()}
    notes = (
        [f"fills without an edge_snapshot: {data.unmatched_fills}"] if data.unmatched_fills else []
    )
    return (
        Section("Overview", (overview,)),
        Section("Skip reasons, most frequent first", (skips,), images=_img(img, "skips")),
        Section("Latency per stage", (latency,), images=_img(img, "latency")),
        Section("Outcomes and inclusion", (outcomes,), images=_img(img, "inclusion")),
        Section(
            "Slippage and EV error",
            (fills,),
            tuple(notes),
            images=_img(img, "slippage", "ev_error"),
        ),
        Section("PnL over time", images=_img(img, "pnl")),
        Section("Guard trips", (trips,) if trips.rows else (), () if trips.rows else ("none",)),
        *((Section("Unreadable journal lines", notes=data.bad_lines),) if data.bad_lines else ()),
    )


def _img(names: Mapping[str, str], *keys: str) -> tuple[str, ...]:
    return tuple(names[k] for k in keys if k in names)


def _trips(summary: Mapping[str, object]) -> list[Mapping[str, object]]:
    records = _get(summary, "guards", "trip_records")
    if not isinstance(records, list):
        return []
    return [t for t in records if isinstance(t, Mapping)]


# --- formats ----------------------------------------------------------------------------


def _cell(value: Cell) -> str:
    return "" if value is None else str(value)


def render_markdown(title: str, sections: Sequence[Section]) -> str:
    out = [f"# {title}", ""]
    for section in sections:
        out += [f"## {section.title}", ""]
        for table in section.tables:
            out.append("| " + " | ".join(table.header) + " |")
            out.append("|" + "|".join("---" for _ in table.header) + "|")
            for row in table.rows:
                # A pipe inside a cell would split it into two columns.
                out.append("| " + " | ".join(_cell(c).replace("|", "\\|") for c in row) + " |")
            out.append("")
        out += [f"- {note}" for note in section.notes]
        if section.notes:
            out.append("")
        out += [f"![{name}]({name})\n" for name in section.images]
    return "\n".join(out).rstrip() + "\n"


def render_html(title: str, sections: Sequence[Section]) -> str:
    e = html.escape
    out = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
        "padding:.2em .6em;text-align:left}img{max-width:100%}</style>",
        "</head><body>",
        f"<h1>{e(title)}</h1>",
    ]
    for section in sections:
        out.append(f"<h2>{e(section.title)}</h2>")
        for table in section.tables:
            out.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in table.header) + "</tr>")
            for row in table.rows:
                out.append("<tr>" + "".join(f"<td>{e(_cell(c))}</td>" for c in row) + "</tr>")
            out.append("</table>")
        if section.notes:
            out.append("<ul>" + "".join(f"<li>{e(n)}</li>" for n in section.notes) + "</ul>")
        out += [f'<p><img src="{e(name)}" alt="{e(name)}"></p>' for name in section.images]
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_report(data: ReportFigures, out: Path) -> ReportFiles:
    """Plots, `report.md` and `report.html` in `out` (created if missing)."""
    out.mkdir(parents=True, exist_ok=True)
    plots = render_plots(data, out)
    sections = outline(data, plots)
    title = f"solarb report: {data.strategy}"
    md = out / "report.md"
    md.write_text(render_markdown(title, sections), encoding="utf-8")
    page = out / "report.html"
    page.write_text(render_html(title, sections), encoding="utf-8")
    return ReportFiles(md, page, plots)
