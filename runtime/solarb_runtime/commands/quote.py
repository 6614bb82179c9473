"""`solarb quote`: exact swap quotes from raw accounts, decoded states, or a live RPC."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import Any

from solders.pubkey import Pubkey

from solarb_runtime.commands.jsonlines import (
    InputError,
    error_object,
    field,
    parse_amount,
    parse_pubkey,
    process,
    state_from_accounts,
)
from solarb_runtime.domain.errors import SolarbError, UserError
from solarb_runtime.sources.rpc import RpcClient
from solarb_runtime.venues.base import PoolState, Quote, Venue
from solarb_runtime.venues.registry import VENUES, venue

HELP = """\
Without --rpc, reads one JSON object per line: {"venue": KIND, "accounts": {...} (as for
`solarb decode`) or "state": {...} (as `solarb decode` prints it), "mint_in": MINT (or
"side": "a_to_b" | "b_to_a"), and "exact_in": ATOMS or "exact_out": ATOMS}. Writes one line
per input: {"ok": true, "quote": {...}} or {"ok": false, "error": {...}}. Integers may be
JSON numbers or decimal strings. Schema and examples: docs/venues.md.

With --rpc URL --pool ADDRESS --in MINT --amount ATOMS, reads the pool and the accounts it
depends on from the RPC endpoint (getMultipleAccounts) and prints one quote line."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "quote",
        help="exact swap quotes (JSON lines, or one pool from a live RPC)",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rpc", metavar="URL", help="JSON-RPC endpoint to read the pool from")
    parser.add_argument("--pool", metavar="ADDRESS", help="pool or market address (with --rpc)")
    parser.add_argument("--in", dest="mint_in", metavar="MINT", help="input mint (with --rpc)")
    parser.add_argument("--amount", metavar="ATOMS", help="amount in atoms (with --rpc)")
    parser.add_argument(
        "--exact-out", action="store_true", help="--amount is the exact output wanted"
    )
    parser.set_defaults(func=run)


def quote_json(quote: Quote) -> dict[str, object]:
    return {
        "venue": quote.venue,
        "pool": str(quote.pool),
        "mint_in": str(quote.mint_in),
        "mint_out": str(quote.mint_out),
        "amount_in": quote.amount_in,
        "amount_out": quote.amount_out,
        "fee": quote.fee,
        "exact_in": quote.exact_in,
        "steps": quote.steps,
    }


def _mint_in(doc: Mapping[str, Any], state: PoolState) -> Pubkey:
    if "mint_in" in doc:
        return parse_pubkey(doc["mint_in"], "mint_in")
    side = doc.get("side")
    if side == "a_to_b":
        return state.mint_a
    if side == "b_to_a":
        return state.mint_b
    raise InputError('give "mint_in" or "side": "a_to_b" | "b_to_a"')


def _quote(impl: Venue[Any], state: PoolState, mint_in: Pubkey, doc: Mapping[str, Any]) -> Quote:
    if ("exact_in" in doc) == ("exact_out" in doc):
        raise InputError('give exactly one of "exact_in" and "exact_out"')
    if "exact_in" in doc:
        return impl.quote_exact_in(state, mint_in, parse_amount(doc["exact_in"], "exact_in"))
    return impl.quote_exact_out(state, mint_in, parse_amount(doc["exact_out"], "exact_out"))


def quote_line(doc: Mapping[str, Any]) -> dict[str, object]:
    impl = venue(field(doc, "venue", str))
    if "state" in doc:
        state_doc = field(doc, "state", dict)
        state = impl.state_from_json(state_doc)
    else:
        state = state_from_accounts(impl, doc.get("accounts"))
    return {"quote": quote_json(_quote(impl, state, _mint_in(doc, state), doc))}


def venue_for_program(program: Pubkey) -> Venue[Any]:
    for impl in VENUES.values():
        if impl.program_id == program:
            return impl
    raise InputError(f"account is owned by {program}, which no venue adapter implements")


def quote_rpc(args: argparse.Namespace) -> dict[str, object]:
    if not (args.pool and args.mint_in and args.amount):
        raise UserError("--rpc needs --pool, --in and --amount")
    client = RpcClient(args.rpc)
    pool = parse_pubkey(args.pool, "--pool")
    primary = client.get_multiple_accounts([pool])[pool]
    if primary is None:
        raise InputError(f"no account at {pool}")
    impl = venue_for_program(primary.owner)
    keys = list(impl.dependencies(primary))
    fetched = client.get_multiple_accounts(keys)
    missing = [str(key) for key, raw in fetched.items() if raw is None]
    if missing:
        raise InputError(f"accounts not found: {', '.join(missing)}")
    deps = {key: raw for key, raw in fetched.items() if raw is not None}
    state = impl.state(primary, deps)
    side = {"exact_out" if args.exact_out else "exact_in": args.amount}
    quote = _quote(impl, state, parse_pubkey(args.mint_in, "--in"), side)
    return {"ok": True, "slot": primary.slot, "quote": quote_json(quote)}


def run(args: argparse.Namespace) -> int:
    if args.rpc is None:
        failures = process(sys.stdin, sys.stdout, quote_line)
        return 1 if failures else 0
    try:
        result = quote_rpc(args)
    except UserError:
        raise
    except (SolarbError, ValueError, ArithmeticError) as exc:
        print(json.dumps(error_object(exc)))
        return 1
    print(json.dumps(result))
    return 0
