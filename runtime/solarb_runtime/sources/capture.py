"""The capture format: one JSON object per line, gzip when the file name ends in `.gz`.

Line 1 is a header (`t: "header"`, schema `v`, the source name and the pools carried);
every other line is `t: "account"` (base64 data), `t: "slot"` or `t: "idle"`. A batch of
accounts is its accounts' lines, consecutive, each with `of` = the batch size (a lone
update has `of: 0`); lines without `of` (older captures) still read. Keys are base58.
The format is deliberately plain so a capture can be grepped and diffed.
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
    AccountBatch,
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


def event_lines(event: SourceEvent) -> list[str]:
    """The capture lines of one event: one per account of a batch, one otherwise.

    A batch is written as consecutive account lines that each carry `of` (the batch's
    size), so the reader regroups them exactly; a lone `AccountUpdate` carries `of: 0`.
    Readers that predate batches ignore `of` and replay each account alone.
    """
    if isinstance(event, AccountBatch):
        n = len(event.accounts)
        return [_account_line(acct, event.ts_ns, n) for acct in event.accounts]
    if isinstance(event, AccountUpdate):
        return [_account_line(event.account, event.ts_ns, 0)]
    doc: dict[str, object]
    if isinstance(event, SlotUpdate):
        doc = {"t": "slot", "ts": event.ts_ns, "slot": event.slot}
    else:
        doc = {"t": "idle", "ts": event.ts_ns}
    return [json.dumps(doc, separators=(",", ":"))]


def _account_line(acct: RawAccount, ts_ns: int, of: int) -> str:
    doc = {
        "t": "account",
        "ts": ts_ns,
        "of": of,
        "slot": acct.slot,
        "pubkey": str(acct.pubkey),
        "owner": str(acct.owner),
        "lamports": acct.lamports,
        "data": base64.b64encode(acct.data).decode("ascii"),
    }
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


@dataclass(frozen=True, slots=True)
class AccountLine:
    """One account line: `of` is its batch's size, 0 for a lone update, None if unmarked."""

    account: RawAccount
    ts_ns: int
    of: int | None


def parse_line(doc: dict[str, object]) -> AccountLine | SlotUpdate | Idle:
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
        of = _int(doc, "of") if "of" in doc else None
        return AccountLine(account, _int(doc, "ts"), of)
    if kind == "slot":
        return SlotUpdate(slot=_int(doc, "slot"), ts_ns=_int(doc, "ts"))
    if kind == "idle":
        return Idle(ts_ns=_int(doc, "ts"))
    raise ValueError(f"unknown event type {kind!r}")


class _Regrouper:
    """Turns account lines back into the events that were recorded.

    Marked lines (`of`) rebuild their batch exactly. Unmarked lines (captures written
    before batches existed) are grouped while consecutive and at the same instant, which
    is what the source delivered together: an old RPC poll replays as one batch, an old
    sim capture (accounts 1 us apart) as single updates, as it always did.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.accounts: list[RawAccount] = []
        self.ts_ns = 0
        self.due = 0  # accounts still to come in an open marked batch
        self.size = 0  # that batch's size

    def add(self, item: AccountLine, line: int) -> list[SourceEvent]:
        if self.due:
            if item.of != self.size or item.ts_ns != self.ts_ns:
                raise CaptureError(self.path, line, self._cut())
            self.accounts.append(item.account)
            self.due -= 1
            return [] if self.due else self.flush()
        if item.of is None:
            if self.accounts and item.ts_ns == self.ts_ns:
                self.accounts.append(item.account)
                return []
            out = self.flush()
            self.accounts, self.ts_ns = [item.account], item.ts_ns
            return out
        out = self.flush()
        if item.of == 0:
            return [*out, AccountUpdate(item.account, item.ts_ns)]
        self.accounts, self.ts_ns, self.size, self.due = (
            [item.account],
            item.ts_ns,
            item.of,
            item.of - 1,
        )
        return out if self.due else [*out, *self.flush()]

    def other(self, line: int) -> list[SourceEvent]:
        """A non-account line: it must not cut a marked batch short."""
        if self.due:
            raise CaptureError(self.path, line, self._cut())
        return self.flush()

    def flush(self) -> list[SourceEvent]:
        """The open group as an event (at the end of a file: what a crash left of it)."""
        accounts, self.accounts, self.due = self.accounts, [], 0
        if not accounts:
            return []
        if len(accounts) == 1 and self.size == 0:
            return [AccountUpdate(accounts[0], self.ts_ns)]
        self.size = 0
        return [AccountBatch(tuple(accounts), self.ts_ns)]

    def _cut(self) -> str:
        got = self.size - self.due
        return f"batch of {self.size} accounts ended after {got}"


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
        group = _Regrouper(str(path))
        with stream:
            for number, line in enumerate(stream, start=2):
                if not line.strip():
                    continue
                try:
                    item = parse_line(_loads(line))
                except ValueError as exc:
                    raise CaptureError(str(path), number, str(exc)) from exc
                if isinstance(item, AccountLine):
                    yield from group.add(item, number)
                else:
                    yield from group.other(number)
                    yield item
            yield from group.flush()

    return header, events()


def _loads(line: str) -> dict[str, object]:
    if not line:
        raise ValueError("empty capture")
    doc = json.loads(line)
    if not isinstance(doc, dict):
        raise ValueError("line is not a JSON object")
    return doc
