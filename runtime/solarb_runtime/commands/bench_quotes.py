"""`solarb bench quotes`: venue quotes and decodes per second on one core, beside the SDKs."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from solarb_runtime.bench.quotes import Sdk, Timing, find_sdk, kinds, run_bench
from solarb_runtime.bench.render import render

HELP = """\
Draws realistic pools and swaps per venue from --seed (CPMM; Whirlpool crossing 0-2
initialised ticks; DLMM across 1-3 bins; Phoenix walking 1-5 price levels), times our exact
quotes and account decodes on one pinned core (warm-up, best of --repeats), and runs the
official SDK's bench mode (tests/sdk/<venue>.mjs under node) on the same cases for the
ratio. Run it on a quiet machine: the load average is printed with the figures."""


def add_quotes_command(
    bench_subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add `quotes` to the `solarb bench` group."""
    parser = bench_subparsers.add_parser(
        "quotes",
        help="quotes and account decodes per second per venue, with the SDK's as a ratio",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--venue",
        action="append",
        choices=kinds(),
        help="bench only this venue (repeatable; default: all)",
    )
    parser.add_argument("--cases", type=int, default=400, help="cases per venue (default 400)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the cases (default 1)")
    parser.add_argument(
        "--repeats", type=int, default=5, help="timed repeats, best kept (default 5)"
    )
    parser.add_argument(
        "--min-seconds",
        type=float,
        default=0.2,
        help="minimum length of one timed repeat (default 0.2)",
    )
    parser.add_argument("--no-sdk", action="store_true", help="skip the official SDKs")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    sdk: Sdk | None = None if args.no_sdk else find_sdk()
    report = run_bench(
        args.venue,
        cases=args.cases,
        seed=args.seed,
        timing=Timing(repeats=args.repeats, min_seconds=args.min_seconds),
        sdk=sdk,
    )
    if args.json:
        doc = asdict(report)
        for venue, result in zip(doc["venues"], report.venues, strict=True):
            venue["ratio"] = result.ratio
        print(json.dumps(doc))
    else:
        sys.stdout.write(render(report))
    return 0
