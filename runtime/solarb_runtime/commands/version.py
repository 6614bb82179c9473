"""`solarb version`: the package version and the versions of the parts it runs on."""

from __future__ import annotations

import argparse
import json
import platform
from importlib.metadata import version


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("version", help="print versions as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    del args
    info = {
        "solarb": version("solarb"),
        "python": platform.python_version(),
        "solders": version("solders"),
        "solana": version("solana"),
        "anchorpy": version("anchorpy"),
        "kopf": version("kopf"),
    }
    print(json.dumps(info, sort_keys=True))
    return 0
