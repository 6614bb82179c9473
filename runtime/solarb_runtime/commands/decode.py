"""`solarb decode`: raw venue accounts (JSON lines on stdin) → decoded pool states."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import Any

from solarb_runtime.commands.jsonlines import field, process, state_from_accounts
from solarb_runtime.venues.registry import venue

HELP = """\
Reads one JSON object per line: {"venue": KIND, "accounts": {ROLE: {"address", "owner",
"data" (base64), "slot"?}}} with the pool or market under the role "pool" (or "market",
"whirlpool", "lb_pair") and its dependencies under any other role names. Writes one line
per input: {"ok": true, "venue", "state"} or {"ok": false, "error": {"type", "message"}}.
Schema and examples: docs/venues.md. Exit code 1 if any line failed."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "decode",
        help="decode raw venue accounts (JSON lines) into pool states",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=run)


def decode_line(doc: Mapping[str, Any]) -> dict[str, object]:
    kind = field(doc, "venue", str)
    impl = venue(kind)
    state = state_from_accounts(impl, doc.get("accounts"))
    return {"venue": kind, "state": impl.state_to_json(state)}


def run(args: argparse.Namespace) -> int:
    del args
    failures = process(sys.stdin, sys.stdout, decode_line)
    return 1 if failures else 0
