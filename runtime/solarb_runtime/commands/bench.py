"""`solarb bench …`: benchmarks that print measured figures (never pass/fail).

A group of subcommands; adding one is one `_register_<name>(group)` function added to
`SUBCOMMANDS`, which adds its parser and sets `func(args) -> int`.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING

from solarb_runtime.commands.bench_quotes import add_quotes_command
from solarb_runtime.telemetry.tracing import OpportunityTracer, tracer_from_env

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]


def in_memory_tracer() -> OpportunityTracer:
    """Every opportunity traced into memory: the SDK's full cost without an exporter's I/O."""
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    return tracer_from_env("solarb-bench", {}, InMemorySpanExporter())


def _engine(args: argparse.Namespace) -> int:
    # Imported when run: `solarb --help` should not pay for the sim and the venues.
    from solarb_runtime.commands import bench_engine as be

    profile = cProfile.Profile() if args.profile else None
    pair = None if args.skip_pair else be.bench_pair(slots=args.slots, profile=profile)
    # The same with the sim making each slot in this process, between batches.
    live = None if args.skip_pair else be.bench_pair(slots=args.slots, live=True)
    # The same run with every opportunity traced (spans kept in memory): the cost of tracing.
    traced = (
        None
        if args.skip_pair or not args.tracing
        else be.bench_pair(slots=args.slots, tracer=in_memory_tracer())
    )

    def graph_run(native: bool = True) -> be.GraphResult | None:
        if args.skip_graph:
            return None
        return be.bench_graph(
            n_tokens=args.tokens,
            n_pools=args.pools,
            slots=args.graph_slots,
            max_updates=args.graph_updates,
            profile=profile if native else None,
            native=native,
        )

    graph = graph_run()
    rss = be.rss_mb()
    # The Python reference venues on the same runs: what the native core buys.
    reference = (
        None
        if not args.reference
        else (
            None if args.skip_pair else be.bench_pair(slots=args.slots, native=False),
            graph_run(native=False),
        )
    )
    if profile is not None:
        # The measured loops only (not the sim's setup), heaviest first.
        stats = pstats.Stats(profile, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(20)
    if args.json:
        doc = {
            "pair": None if pair is None else asdict(pair),
            "live_pair": None if live is None else asdict(live),
            "graph": None if graph is None else asdict(graph),
            "rss_mb": rss,
            "goals": be.GOALS,
            "traced_pair": None if traced is None else asdict(traced),
            "reference_pair": None
            if reference is None or reference[0] is None
            else asdict(reference[0]),
            "reference_graph": None
            if reference is None or reference[1] is None
            else asdict(reference[1]),
        }
        print(json.dumps(doc, indent=2))
    else:
        print("\n".join(be.report(pair, graph, rss, live)))
        if pair is not None and traced is not None:
            print(
                f"tracing (per batch): off p50 {pair.p50_us:.1f} us p99 {pair.p99_us:.1f} us; "
                f"on (every opportunity, in-memory exporter) p50 {traced.p50_us:.1f} us "
                f"p99 {traced.p99_us:.1f} us (spans are built after the decision)"
            )
        if reference is not None:
            print("\n".join(be.reference_report(pair, graph, *reference)))
    return 0


def _register_engine(group: Subparsers) -> None:
    parser = group.add_parser(
        "engine",
        help="tick->decision latency, updates/s, cycle scan times, RSS",
        description=(
            "Runs the engine on the sim, one account batch per slot: one pair over four "
            "venues (tick->decision latency per batch; the sim's slots replayed from "
            "memory, and again with the sim running in this process), then a 1,000-pool / "
            "300-token graph (full cycle scan; per-slot batches through decode and incremental "
            "re-evaluation: accounts/s, batches/s; and single-account updates)."
        ),
    )
    parser.add_argument(
        "--slots", type=int, default=300, help="sim slots for the pair run (20 warm up)"
    )
    parser.add_argument(
        "--graph-slots", type=int, default=10, help="sim slots of updates for the graph run"
    )
    parser.add_argument(
        "--graph-updates",
        type=int,
        default=6000,
        help="at most this many graph account updates (in whole batches)",
    )
    parser.add_argument("--pools", type=int, default=1000, help="pools in the graph")
    parser.add_argument("--tokens", type=int, default=300, help="tokens in the graph")
    parser.add_argument("--skip-pair", action="store_true", help="skip the pair run")
    parser.add_argument("--skip-graph", action="store_true", help="skip the graph run")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the measured loops: top 20 to stderr"
    )
    parser.add_argument(
        "--no-tracing", dest="tracing", action="store_false",
        help="skip the second pair run with tracing on",
    )  # fmt: skip
    parser.add_argument(
        "--reference",
        action="store_true",
        help="also run the Python reference venues (SOLARB_NATIVE=0) and print the ratios",
    )
    parser.set_defaults(func=_engine)


SUBCOMMANDS: list[Callable[[Subparsers], None]] = [_register_engine, add_quotes_command]


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("bench", help="benchmarks (engine, quotes)")
    group = parser.add_subparsers(dest="bench", metavar="BENCH")
    group.required = True
    for add in SUBCOMMANDS:
        add(group)
