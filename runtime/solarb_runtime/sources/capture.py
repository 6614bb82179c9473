"""The capture format: one JSON object per line, gzip when the file name ends in `.gz`.

Line 1 is a header (`t: "header"`, schema `v`, the source name and the pools carried);
every other line is one event: `t: "account"` (base64 data) or `t: "slot"` or `t: "idle"`.
Keys are base58. The format is deliberately plain so a capture can be grepped and diffed.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.sources.base import (
    AccountUpdate,
    CaptureError,
    Idle,
    PoolRef,
    SlotUpdate,
    SourceEvent,
)

CAPTURE_VERSION = 1


@dataclass(frozen=True, slots=True)
class CaptureHeader:
    source: str
    pools: tuple[PoolRef, ...]
    meta: dict[str, object]


def open_text(path: Path, mode: str) -> IO[str]:
    """Open a capture for text reading or writing, gzip-compressed when it ends in `.gz`."""
    if path.suffix == ".gz":
        return cast(IO[str], gzip.open(path, mode + "t", encoding="utf-8"))
    return path.open(mode, encoding="utf-8")


def header_line(source: str, pools: Sequence[PoolRef], meta: dict[str, object]) -> str:
    doc = {
        "v": CAPTURE_VERSION,
        "t": "header",
        "source": source,
        "pools": [{"kind": p.kind, "address": str(p.address)} for p in pools],
        "meta": meta,
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def event_line(event: SourceEvent) -> str:
    doc: dict[str, object]
    if isinstance(event, AccountUpdate):
        acct = event.account
        doc = {
            "t": "account",
            "ts": event.ts_ns,
            "slot": acct.slot,
            "pubkey": str(acct.pubkey),
            "owner": str(acct.owner),
            "lamports": acct.lamports,
            "data": base64.b64encode(acct.data).decode("ascii"),
        }
    elif isinstance(event, SlotUpdate):
        doc = {"t": "slot", "ts": event.ts_ns, "slot": event.slot}
    else:
        doc = {"t": "idle", "ts": event.ts_ns}
    return json.dumps(doc, separators=(",", ":"))


def _int(doc: dict[str, object], key: str) -> int:
    value = doc.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"field {key!r} must be a non-negative integer")
    return value


def _str(doc: dict[str, object], key: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str):
        raise ValueError(f"field {key!r} must be a string")
    return value


def _key(doc: dict[str, object], key: str) -> Pubkey:
    return Pubkey.from_string(_str(doc, key))


def parse_header(doc: dict[str, object]) -> CaptureHeader:
    if doc.get("t") != "header":
        raise ValueError("first line is not a capture header")
    if doc.get("v") != CAPTURE_VERSION:
        raise ValueError(f"capture version {doc.get('v')!r}, this build reads {CAPTURE_VERSION}")
    raw_pools = doc.get("pools")
    if not isinstance(raw_pools, list):
        raise ValueError("field 'pools' must be a list")
    pools = []
    for item in raw_pools:
        if not isinstance(item, dict):
            raise ValueError("each pool must be an object")
        pools.append(PoolRef(kind=_str(item, "kind"), address=_key(item, "address")))
    meta = doc.get("meta")
    return CaptureHeader(
        source=_str(doc, "source"),
        pools=tuple(pools),
        meta=dict(meta) if isinstance(meta, dict) else {},
    )


def parse_event(doc: dict[str, object]) -> SourceEvent:
    kind = doc.get("t")
    if kind == "account":
        try:
            data = base64.b64decode(_str(doc, "data"), validate=True)
        except binascii.Error as exc:
            raise ValueError(f"field 'data' is not base64: {exc}") from exc
        account = RawAccount(
            pubkey=_key(doc, "pubkey"),
            owner=_key(doc, "owner"),
            data=data,
            lamports=_int(doc, "lamports"),
            slot=_int(doc, "slot"),
        )
        return AccountUpdate(account=account, ts_ns=_int(doc, "ts"))
    if kind == "slot":
        return SlotUpdate(slot=_int(doc, "slot"), ts_ns=_int(doc, "ts"))
    if kind == "idle":
        return Idle(ts_ns=_int(doc, "ts"))
    raise ValueError(f"unknown event type {kind!r}")


def read_capture(path: Path) -> tuple[CaptureHeader, Iterator[SourceEvent]]:
    """The header (read now, so a bad file fails early) and a lazy iterator of events."""
    if not path.exists():
        raise CaptureError(str(path), 0, "no such file")
    stream = open_text(path, "r")
    try:
        first = stream.readline()
        header = parse_header(_loads(first))
    except (ValueError, OSError, EOFError) as exc:
        stream.close()
        raise CaptureError(str(path), 1, str(exc)) from exc

    def events() -> Iterator[SourceEvent]:
        with stream:
            for number, line in enumerate(stream, start=2):
                if not line.strip():
                    continue
                try:
                    event = parse_event(_loads(line))
                except ValueError as exc:
                    raise CaptureError(str(path), number, str(exc)) from exc
                yield event

    return header, events()


def _loads(line: str) -> dict[str, object]:
    if not line:
        raise ValueError("empty capture")
    doc = json.loads(line)
    if not isinstance(doc, dict):
        raise ValueError("line is not a JSON object")
    return doc
