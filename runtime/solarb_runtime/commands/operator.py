"""`solarb operator`: run the kopf operator (ArbStrategy / VenueAdapter) on any kubeconfig.

The operator's own flags are parsed by `solarb_operator.app`, imported only when this
command runs: strategy pods share the image and never load kopf.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "operator",
        help="run the Kubernetes operator (flags: solarb operator -- --help)",
        description="Reconcile ArbStrategy and VenueAdapter resources with kopf. "
        "Flags after the command go to the operator: -n NAMESPACE, --peering NAME, "
        "--priority N, --liveness URL, -v.",
    )
    parser.add_argument("operator_args", nargs=argparse.REMAINDER, help="operator flags")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from solarb_operator.app import main

    forwarded = [a for a in args.operator_args if a != "--"]
    return main(forwarded)
