"""Journal record kinds, their envelope and their schema (version 1).

Every line of a journal file is one JSON object: the envelope `schema` (version),
`record` (kind), `seq` (per-session sequence number), `session`, `wall` (timezone-aware
ISO-8601 time of writing) and `trace_id` (32 hex digits or null), plus the kind's own
fields. Records about an opportunity carry its `opportunity_id`. Decisions are
reproducible: everything but `wall` and the measured latencies comes from the engine,
which runs on the source clock.

Kinds may carry fields beyond their schema (the engine adds context freely); the fields
the schema names are type-checked wherever they appear.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, get_args

from solarb_runtime.domain.decision import Outcome, SkipReason, TripKind
from solarb_runtime.domain.errors import UserError
from solarb_runtime.domain.mode import MODES

SCHEMA_VERSION: Final = 1
# `v` was the version key of the first journals written; they still read.
LEGACY_VERSION_KEY: Final = "v"
ENVELOPE: Final = ("schema", "record", "seq", "session", "wall", "trace_id")
_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")

Check = Callable[[object], str | None]


class RecordError(UserError):
    """A journal record that does not match its schema."""


# --- value checks: each returns what is wrong with a value, or None --------------------


def _is_int(value: object) -> bool:
    # bool is an int in Python but not a number in a schema.
    return isinstance(value, int) and not isinstance(value, bool)


def _int(value: object) -> str | None:
    return None if _is_int(value) else "not an integer"


def _uint(value: object) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return None if ok else "not a non-negative integer"


def _num(value: object) -> str | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return None if ok else "not a number"


def _str(value: object) -> str | None:
    return None if isinstance(value, str) else "not a string"


def _bool(value: object) -> str | None:
    return None if isinstance(value, bool) else "not a boolean"


def _one_of(choices: tuple[str, ...]) -> Check:
    allowed = frozenset(choices)

    def check(value: object) -> str | None:
        return None if value in allowed else f"{value!r} is not one of {sorted(allowed)}"

    return check


def _int_map(value: object) -> str | None:
    """Balances: token → atoms."""
    if not isinstance(value, dict):
        return "not an object"
    bad = [k for k, v in value.items() if not _is_int(v)]
    return f"non-integer amounts for {bad}" if bad else None


def _legs(value: object) -> str | None:
    if not isinstance(value, list):
        return "not a list"
    for i, leg in enumerate(value):
        if not isinstance(leg, dict):
            return f"leg {i} is not an object"
        for name, check in _LEG.items():
            if name in leg and (why := check(leg[name])) is not None:
                return f"leg {i}.{name} {why}"
    return None


_LEG: Final[dict[str, Check]] = {
    "venue": _str,
    "pool": _str,
    "mint_in": _str,
    "mint_out": _str,
    "amount_in": _uint,
    "amount_out": _uint,
    "min_out": _uint,
}


def _wall(value: object) -> str | None:
    if not isinstance(value, str):
        return "not a string"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return "not an ISO-8601 time"
    return None if parsed.utcoffset() is not None else "has no timezone"


def _trace_id(value: object) -> str | None:
    ok = isinstance(value, str) and _TRACE_ID.match(value) is not None
    return None if ok else "not 32 lowercase hex digits"


# --- schemas ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a record kind: its check, whether it must be present, may be null."""

    check: Check
    required: bool = False
    nullable: bool = False


def _req(check: Check) -> Field:
    return Field(check, required=True)


def _opt(check: Check) -> Field:
    return Field(check, nullable=True)


@dataclass(frozen=True, slots=True)
class RecordSchema:
    """The fields of one record kind."""

    kind: str
    fields: Mapping[str, Field] = field(default_factory=dict)


_MODE = _one_of(MODES)
_OPP = _req(_str)
SCHEMAS: Final[dict[str, RecordSchema]] = {
    s.kind: s
    for s in (
        RecordSchema(
            "session_start",
            {
                "strategy": _req(_str),
                "mode": _req(_MODE),
                "source": _opt(_str),
                "balances": _opt(_int_map),
                "pools": _opt(_uint),
            },
        ),
        RecordSchema(
            "edge_snapshot",
            {
                "opportunity_id": _OPP,
                "legs": _req(_legs),
                "size": _req(_uint),
                "ev_pred": _req(_int),
                "kind": _opt(_one_of(("edge", "cycle"))),
                "token": _opt(_str),
                "gross_out": _opt(_uint),
                "costs": _opt(_int),
                "ev_pred_bps": _opt(_num),
                "slot": _opt(_uint),
                "ts_ns": _opt(_int),
            },
        ),
        RecordSchema(
            "decision",
            {
                "opportunity_id": _OPP,
                "action": _req(_one_of(("send", "skip"))),
                "reason": _opt(_str),  # checked against the action below
                "mode": _opt(_MODE),
                "detail": _opt(_str),
                "ts_ns": _opt(_int),
                "latency_ns": _opt(_uint),
                "stages_ns": _opt(_int_map),
                "size": _opt(_uint),
                "ev_pred": _opt(_int),
                "route": _opt(_str),
            },
        ),
        RecordSchema(
            "submitted_tx",
            {
                "opportunity_id": _OPP,
                "mode": _opt(_MODE),
                "ts_ns": _opt(_int),
                "size": _opt(_uint),
                "signature": _opt(_str),
                "endpoint": _opt(_str),
            },
        ),
        RecordSchema(
            "landed",
            {
                "opportunity_id": _OPP,
                "outcome": _req(_one_of(get_args(Outcome))),
                "ev_real": _opt(_int),
                "ev_pred": _opt(_int),
                "amount_out": _opt(_uint),
                "error": _opt(_str),
                "signature": _opt(_str),
                "slot": _opt(_uint),
                "latency_ns": _opt(_uint),
                "ts_ns": _opt(_int),
            },
        ),
        RecordSchema(
            "rpc_sample",
            {
                "endpoint": _req(_str),
                "latency_ms": _req(_num),
                "method": _opt(_str),
                "ok": _opt(_bool),
                "error": _opt(_str),
                "opportunity_id": _opt(_str),
                "ts_ns": _opt(_int),
            },
        ),
        RecordSchema(
            "guard_trip",
            {
                "kind": _req(_one_of(get_args(TripKind))),
                "reason": _req(_str),
                "value": _opt(_num),
                "threshold": _opt(_num),
                "at_ns": _opt(_int),
                "mode_before": _opt(_MODE),
                "mode_after": _opt(_MODE),
                "opportunity_id": _opt(_str),
            },
        ),
        RecordSchema(
            "session_end",
            {
                "strategy": _req(_str),
                "balances": _opt(_int_map),
                "stop_reason": _opt(_str),
            },
        ),
    )
}
KINDS: Final = tuple(SCHEMAS)
_SKIPS: Final = frozenset(get_args(SkipReason))


def version_of(record: Mapping[str, object]) -> object:
    """The schema version a record declares (`schema`, or the legacy `v`)."""
    return record.get("schema", record.get(LEGACY_VERSION_KEY))


def problems(record: Mapping[str, object], *, stored: bool = False) -> list[str]:
    """Everything wrong with one record (empty when it is valid).

    `stored` demands the envelope the writer adds (`session`, `wall`): a record read
    from a journal must have it; a record about to be written gets it from the writer.
    """
    out: list[str] = []
    version = version_of(record)
    if version != SCHEMA_VERSION:
        out.append(f"schema version {version!r} is not {SCHEMA_VERSION}")
    kind = record.get("record")
    if not isinstance(kind, str) or kind not in SCHEMAS:
        return [*out, f"unknown record kind {kind!r}"]
    if _uint(record.get("seq")) is not None:
        out.append("seq is not a non-negative integer")
    envelope: dict[str, Field] = {
        "session": Field(_str, required=stored),
        "wall": Field(_wall, required=stored),
        "trace_id": _opt(_trace_id),
    }
    for name, spec in (*envelope.items(), *SCHEMAS[kind].fields.items()):
        prefix = name if name in envelope else f"{kind}.{name}"
        if name not in record or record[name] is None:
            if spec.required:
                out.append(f"{prefix} is missing")
            elif name in record and not spec.nullable:
                out.append(f"{prefix} is null")
            continue
        why = spec.check(record[name])
        if why is not None:
            out.append(f"{prefix} {why}")
    if kind == "decision" and not out:
        action, reason = record["action"], record.get("reason")
        if action == "skip" and reason not in _SKIPS:
            out.append(f"decision.reason {reason!r} is not a skip reason")
        elif action == "send" and reason is not None:
            out.append("decision.reason must be null on a send")
    return out


def validate(record: Mapping[str, object], *, stored: bool = False) -> None:
    """Raise RecordError listing every problem of `record`."""
    found = problems(record, stored=stored)
    if found:
        raise RecordError("; ".join(found))


@dataclass(frozen=True, slots=True)
class Record:
    """A validated stored record, its envelope typed; `doc` is the whole JSON object."""

    kind: str
    seq: int
    session: str
    wall: datetime
    trace_id: str | None
    opportunity_id: str | None
    doc: Mapping[str, object]


def parse(record: Mapping[str, object]) -> Record:
    """The typed view of a stored record; raises RecordError when it is not valid."""
    validate(record, stored=True)
    oid = record.get("opportunity_id")
    trace = record.get("trace_id")
    return Record(
        kind=str(record["record"]),
        seq=int(str(record["seq"])),
        session=str(record["session"]),
        wall=datetime.fromisoformat(str(record["wall"])),
        trace_id=trace if isinstance(trace, str) else None,
        opportunity_id=oid if isinstance(oid, str) else None,
        doc=record,
    )
