"""`solarb bench …`: benchmarks that print measured figures (never pass/fail).

A group of subcommands; adding one is one `_register_<name>(group)` function added to
`SUBCOMMANDS`, which adds its parser and sets `func(args) -> int`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING

from solarb_runtime.commands.bench_quotes import add_quotes_command

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]


def _engine(args: argparse.Namespace) -> int:
    # Imported when run: `solarb --help` should not pay for the sim and the venues.
    from solarb_runtime.commands import bench_engine as be

    pair = None if args.skip_pair else be.bench_pair(slots=args.slots)
    graph = (
        None
        if args.skip_graph
        else be.bench_graph(
            n_tokens=args.tokens,
            n_pools=args.pools,
            slots=args.graph_slots,
            max_updates=args.graph_updates,
        )
    )
    rss = be.rss_mb()
    if args.json:
        doc = {
            "pair": None if pair is None else asdict(pair),
            "graph": None if graph is None else asdict(graph),
            "rss_mb": rss,
            "goals": be.GOALS,
        }
        print(json.dumps(doc, indent=2))
    else:
        print("\n".join(be.report(pair, graph, rss)))
    return 0


def _register_engine(group: Subparsers) -> None:
    parser = group.add_parser(
        "engine",
        help="tick->decision latency, updates/s, cycle scan times, RSS",
        description=(
            "Runs the engine on the sim: one pair over four venues (latency per "
            "opportunity), then a 1,000-pool / 300-token graph (full and incremental "
            "cycle scan, account updates per second with incremental re-evaluation)."
        ),
    )
    parser.add_argument("--slots", type=int, default=60, help="sim slots for the pair run")
    parser.add_argument(
        "--graph-slots", type=int, default=5, help="sim slots of updates for the graph run"
    )
    parser.add_argument(
        "--graph-updates", type=int, default=2000, help="at most this many graph updates"
    )
    parser.add_argument("--pools", type=int, default=1000, help="pools in the graph")
    parser.add_argument("--tokens", type=int, default=300, help="tokens in the graph")
    parser.add_argument("--skip-pair", action="store_true", help="skip the pair run")
    parser.add_argument("--skip-graph", action="store_true", help="skip the graph run")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.set_defaults(func=_engine)


SUBCOMMANDS: list[Callable[[Subparsers], None]] = [_register_engine, add_quotes_command]


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("bench", help="benchmarks (engine, quotes)")
    group = parser.add_subparsers(dest="bench", metavar="BENCH")
    group.required = True
    for add in SUBCOMMANDS:
        add(group)
