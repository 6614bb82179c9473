"""The `solarb` command line: one subcommand module per verb under `solarb_runtime.commands`.

User errors (bad arguments, bad files, bad config) print one line to stderr and exit 2;
anything else unexpected exits 1 with the traceback, because that is a bug.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Protocol

from solarb_runtime import __version__
from solarb_runtime.domain.errors import UserError

# Each module defines `register(subparsers)`; the parser it adds sets `func(args) -> int`.
COMMAND_MODULES: tuple[str, ...] = (
    "version",
    "decode",
    "quote",
    "grafana",
    "operator",
    "run",
    "feed",
    "bench",
    "report",
)


class _Command(Protocol):
    def register(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        """Add the command's parser."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="solarb",
        description="Solana DEX arbitrage run the Kubernetes way.",
    )
    parser.add_argument("--version", action="version", version=f"solarb {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_MODULES:
        module: _Command = importlib.import_module(f"solarb_runtime.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except UserError as exc:
        print(f"solarb {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
