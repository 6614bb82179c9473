"""`solarb report JOURNAL --out DIR`: a journal as markdown, HTML and PNG plots.

Reads tolerantly by default (a report of a damaged journal is still useful; the bad lines
are listed in it and on stderr); `--strict` fails at the first bad line instead.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from solarb_runtime.domain.errors import UserError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "report",
        help="render a journal as markdown + HTML with plots",
        description=(
            "Reads the JSONL journal in JOURNAL (a directory or files) and writes "
            "report.md, report.html and PNG plots (latency, slippage, EV error, "
            "inclusion, PnL over time, skip reasons) into --out."
        ),
    )
    parser.add_argument("journal", type=Path, nargs="+", metavar="JOURNAL", help="dir or files")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output dir")
    parser.add_argument("--session", help="only this session id (default: every session)")
    parser.add_argument("--strict", action="store_true", help="fail on the first bad journal line")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported when run: `solarb --help` should not pay for matplotlib.
    from solarb_runtime.journal.reader import ReadStats, read_journal
    from solarb_runtime.report.figures import figures
    from solarb_runtime.report.render import write_report

    stats = ReadStats()
    records = list(
        read_journal(args.journal, session=args.session, strict=args.strict, stats=stats)
    )
    if not records:
        where = ", ".join(str(p) for p in args.journal)
        raise UserError(
            f"no journal records in {where}"
            + (f" for session {args.session}" if args.session else "")
        )
    bad = [str(b) for b in (*stats.torn, *stats.bad)]
    for line in bad:
        print(f"solarb report: skipped {line}", file=sys.stderr)
    files = write_report(figures(records, bad_lines=bad), args.out)
    print(files.markdown)
    print(files.html)
    for path in files.plots.values():
        print(path)
    return 0
