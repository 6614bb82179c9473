"""The operator process: argument parsing and `kopf.run` with the solarb handlers."""

from __future__ import annotations

import argparse
import logging
import os
import random

import kopf

from solarb_operator import handlers


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="solarb operator", description=__doc__)
    parser.add_argument(
        "-n", "--namespace", action="append", default=[],
        help="watch only this namespace (repeatable); default: all namespaces",
    )  # fmt: skip
    parser.add_argument(
        "--peering", default=os.environ.get("SOLARB_PEERING") or None,
        help="kopf peering name for HA (one active replica); omit to run standalone",
    )  # fmt: skip
    parser.add_argument(
        "--priority", type=int, default=None,
        help="peering priority (default: random, so two replicas never tie)",
    )  # fmt: skip
    parser.add_argument(
        "--liveness", default=os.environ.get("SOLARB_LIVENESS") or None,
        help="liveness endpoint, e.g. http://0.0.0.0:8080/healthz",
    )  # fmt: skip
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    assert handlers.configure is not None  # importing `handlers` registers them
    priority = args.priority
    if args.peering and priority is None:
        # kopf freezes every replica when two share the top priority: make ties unlikely.
        priority = random.SystemRandom().randint(1, 1_000_000)
    kopf.run(
        standalone=not args.peering,
        peering_name=args.peering,
        priority=priority or 0,
        clusterwide=not args.namespace,
        namespaces=args.namespace,
        liveness_endpoint=args.liveness,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))
