"""JSON lines in, JSON lines out: one result or one error object per input line.

Shared by `solarb decode` and `solarb quote`. A bad line never stops the stream: it
becomes `{"ok": false, "error": {"type": ..., "message": ...}}` and the next line is read.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any

from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.domain.errors import SolarbError
from solarb_runtime.venues.base import Venue

# Role names accepted for the venue's primary account (pool state / market).
PRIMARY_ROLES = ("pool", "market", "whirlpool", "lb_pair")


class InputError(SolarbError):
    """A JSON line that does not follow the documented input schema."""


def field(doc: Mapping[str, Any], name: str, kind: type) -> Any:
    """doc[name] checked for type, or InputError naming the field."""
    if name not in doc:
        raise InputError(f"missing field {name!r}")
    value = doc[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InputError(f"field {name!r} must be {kind.__name__}")
    return value


def parse_pubkey(value: object, what: str) -> Pubkey:
    if not isinstance(value, str):
        raise InputError(f"{what} must be a base58 string")
    try:
        return Pubkey.from_string(value)
    except ValueError as exc:
        raise InputError(f"{what}: {value!r} is not a base58 public key") from exc


def parse_amount(value: object, what: str) -> int:
    """A non-negative integer given as a JSON number or a decimal string."""
    if isinstance(value, bool):
        raise InputError(f"{what} must be an integer")
    if isinstance(value, int):
        amount = value
    elif isinstance(value, str) and value.isdigit():
        amount = int(value)
    else:
        raise InputError(f"{what} must be an integer or a decimal string")
    if amount < 0:
        raise InputError(f"{what} must not be negative")
    return amount


def parse_account(role: str, doc: object) -> RawAccount:
    """One account of the `accounts` object: address, owner, base64 data (+ slot, lamports)."""
    if not isinstance(doc, Mapping):
        raise InputError(f"accounts.{role} must be an object")
    try:
        data = base64.b64decode(field(doc, "data", str), validate=True)
    except binascii.Error as exc:
        raise InputError(f"accounts.{role}.data is not base64") from exc
    return RawAccount(
        pubkey=parse_pubkey(doc.get("address"), f"accounts.{role}.address"),
        owner=parse_pubkey(doc.get("owner"), f"accounts.{role}.owner"),
        data=data,
        lamports=parse_amount(doc.get("lamports", 0), f"accounts.{role}.lamports"),
        slot=parse_amount(doc.get("slot", 0), f"accounts.{role}.slot"),
    )


def split_accounts(accounts: object) -> tuple[RawAccount, dict[Pubkey, RawAccount]]:
    """The primary account (by role) and the others keyed by address."""
    if not isinstance(accounts, Mapping) or not accounts:
        raise InputError("field 'accounts' must be a non-empty object of role → account")
    primary_roles = [role for role in accounts if role in PRIMARY_ROLES]
    if len(primary_roles) != 1:
        raise InputError(f"accounts must hold exactly one of the roles {', '.join(PRIMARY_ROLES)}")
    primary = parse_account(primary_roles[0], accounts[primary_roles[0]])
    deps = {
        raw.pubkey: raw
        for role, doc in accounts.items()
        if role != primary_roles[0]
        for raw in (parse_account(role, doc),)
    }
    return primary, deps


def state_from_accounts(venue: Venue[Any], accounts: object) -> Any:
    """Decode; which missing dependencies are fatal is the venue's call (a Whirlpool quotes
    with fewer tick arrays, a CPMM pool cannot without its vaults)."""
    primary, deps = split_accounts(accounts)
    return venue.state(primary, deps)


def error_object(exc: Exception) -> dict[str, object]:
    return {"ok": False, "error": {"type": type(exc).__name__, "message": str(exc)}}


def process(
    lines: Iterable[str],
    out: IO[str],
    handle: Callable[[Mapping[str, Any]], dict[str, object]],
) -> int:
    """Run `handle` on every non-blank line; returns how many lines failed."""
    failures = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        doc: object = None
        try:
            doc = json.loads(line)
            if not isinstance(doc, dict):
                raise InputError("each line must be a JSON object")
            result = {"ok": True, **handle(doc)}
        except (SolarbError, ValueError, ArithmeticError) as exc:
            # ValueError covers json errors; ArithmeticError covers amount-width errors.
            failures += 1
            result = error_object(exc)
        result = {"line": number, **result}
        if isinstance(doc, dict) and "id" in doc:
            result = {"id": doc["id"], **result}
        out.write(json.dumps(result) + "\n")
        out.flush()
    return failures
