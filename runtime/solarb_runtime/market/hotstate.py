"""Redis hot state: account bytes published by feeds, strategy status, operator control keys.

Key names are documented in docs/redis-keys.md (keep the two in step). Everything here is
synchronous and small; callers treat `HotStateUnavailable` as "Redis is away" and carry
on (a strategy stops trading on stale state, keeps its journal, and reconnects by itself).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.domain.errors import SolarbError

if TYPE_CHECKING:
    import redis

STREAM_MAXLEN = 200_000
_Fields = dict[str | bytes, bytes | float | int | str]
HEARTBEAT_TTL_S = 15
TRIPS_KEPT = 200
SESSIONS_KEPT = 100


class HotStateUnavailable(SolarbError):
    """Redis did not answer (down, restarting, network); the caller retries later."""


@dataclass(frozen=True, slots=True)
class StreamAccount:
    """An account update read back from the stream or a snapshot (ts: feed clock, ns)."""

    account: RawAccount
    ts_ns: int


@dataclass(frozen=True, slots=True)
class StreamSlot:
    slot: int
    ts_ns: int


StreamEntry = StreamAccount | StreamSlot


@dataclass(frozen=True, slots=True)
class Control:
    """What the operator asks of a strategy: a forced mode (`shadow`) and/or a kill."""

    mode: str | None = None
    kill: bool = False
    reason: str = ""


class Keys:
    """Every key name, from one prefix (see docs/redis-keys.md)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def account(self, pubkey: Pubkey | str) -> str:
        return f"{self.prefix}:acct:{pubkey}"

    @property
    def account_pattern(self) -> str:
        return f"{self.prefix}:acct:*"

    @property
    def slot(self) -> str:
        return f"{self.prefix}:slot"

    @property
    def updates(self) -> str:
        return f"{self.prefix}:updates"

    @property
    def pools(self) -> str:
        return f"{self.prefix}:pools"

    def strategy(self, name: str, what: str) -> str:
        return f"{self.prefix}:strategy:{name}:{what}"


def _account_fields(account: RawAccount, ts_ns: int) -> _Fields:
    return {
        "t": "account",
        "pubkey": str(account.pubkey),
        "owner": str(account.owner),
        "lamports": account.lamports,
        "slot": account.slot,
        "ts": ts_ns,
        "data": account.data,
    }


def _decode_account(fields: dict[bytes, bytes]) -> StreamAccount:
    account = RawAccount(
        pubkey=Pubkey.from_string(fields[b"pubkey"].decode()),
        owner=Pubkey.from_string(fields[b"owner"].decode()),
        data=bytes(fields[b"data"]),
        lamports=int(fields[b"lamports"]),
        slot=int(fields[b"slot"]),
    )
    return StreamAccount(account, int(fields[b"ts"]))


class HotState:
    """One Redis connection used by a feed (publish) or a strategy (consume, status)."""

    def __init__(self, url: str, prefix: str = "solarb", *, timeout_s: float = 1.0) -> None:
        self.url = url
        self.keys = Keys(prefix)
        # Imported here: the client library is heavy and only distributed runs need it.
        import redis

        self._error: type[redis.RedisError] = redis.RedisError
        self.client: redis.Redis[bytes] = redis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )
        self.failures = 0

    def _fail(self, exc: redis.RedisError) -> HotStateUnavailable:
        self.failures += 1
        return HotStateUnavailable(f"redis {self.url}: {exc}")

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except self._error:
            return False

    def close(self) -> None:
        self.client.close()

    # --- feed side ----------------------------------------------------------------------

    def publish(self, entries: Iterable[StreamEntry]) -> int:
        """Write account bytes and slot, and append each entry to the update stream.

        One MULTI/EXEC: a consumer reads all of the entries or none of them, so a batch
        published in one call never reaches a strategy half-applied."""
        pipe = self.client.pipeline(transaction=True)
        count = 0
        for entry in entries:
            count += 1
            fields: _Fields
            if isinstance(entry, StreamAccount):
                fields = _account_fields(entry.account, entry.ts_ns)
                pipe.hset(self.keys.account(entry.account.pubkey), mapping=fields)
            else:
                fields = {"t": "slot", "slot": entry.slot, "ts": entry.ts_ns}
                pipe.hset(self.keys.slot, mapping=fields)
            pipe.xadd(self.keys.updates, fields, maxlen=STREAM_MAXLEN, approximate=True)
        try:
            pipe.execute()
        except self._error as exc:
            raise self._fail(exc) from exc
        return count

    def publish_pools(self, pools: Sequence[tuple[str, Pubkey]]) -> None:
        """The pools a feed carries (address -> venue kind), so consumers know what to track."""
        if not pools:
            return
        try:
            self.client.hset(self.keys.pools, mapping={str(a): k for k, a in pools})
        except self._error as exc:
            raise self._fail(exc) from exc

    # --- consumer side ------------------------------------------------------------------

    def pools(self) -> list[tuple[str, Pubkey]]:
        try:
            raw = self.client.hgetall(self.keys.pools)
        except self._error as exc:
            raise self._fail(exc) from exc
        return sorted(
            ((v.decode(), Pubkey.from_string(k.decode())) for k, v in raw.items()),
            key=lambda p: (p[0], bytes(p[1])),
        )

    def last_id(self) -> str:
        """Id of the newest stream entry ("0-0" when the stream is empty or absent)."""
        try:
            newest = self.client.xrevrange(self.keys.updates, count=1)
        except self._error as exc:
            raise self._fail(exc) from exc
        return newest[0][0].decode() if newest else "0-0"

    def snapshot(self) -> tuple[str, StreamSlot | None, list[StreamAccount]]:
        """(stream position, slot, every account): read the position first so no update
        between the two is lost (a repeat is harmless: the newer bytes win)."""
        position = self.last_id()
        try:
            keys = sorted(self.client.scan_iter(match=self.keys.account_pattern, count=1000))
            pipe = self.client.pipeline(transaction=False)
            for key in keys:
                pipe.hgetall(key)
            docs = pipe.execute()
            slot_doc = self.client.hgetall(self.keys.slot)
        except self._error as exc:
            raise self._fail(exc) from exc
        accounts = [_decode_account(doc) for doc in docs if doc]
        slot = StreamSlot(int(slot_doc[b"slot"]), int(slot_doc[b"ts"])) if slot_doc else None
        return position, slot, accounts

    def read(
        self, after_id: str, *, block_ms: int = 100, count: int = 1000
    ) -> tuple[str, list[StreamEntry]]:
        """Entries after `after_id` (blocking up to `block_ms`), and the new position."""
        try:
            reply = self.client.xread({self.keys.updates: after_id}, count=count, block=block_ms)
        except self._error as exc:
            raise self._fail(exc) from exc
        out: list[StreamEntry] = []
        position = after_id
        for _stream, items in reply or []:
            for entry_id, fields in items:
                position = entry_id.decode()
                if fields.get(b"t") == b"slot":
                    out.append(StreamSlot(int(fields[b"slot"]), int(fields[b"ts"])))
                else:
                    out.append(_decode_account(fields))
        return position, out

    # --- strategy status and control ----------------------------------------------------

    def write_status(
        self,
        name: str,
        *,
        heartbeat: dict[str, object],
        mode: str,
        counters: dict[str, int],
    ) -> None:
        """Heartbeat (expires if the strategy dies), effective mode and guard counters."""
        pipe = self.client.pipeline(transaction=False)
        pipe.set(
            self.keys.strategy(name, "heartbeat"),
            json.dumps(heartbeat, sort_keys=True),
            ex=HEARTBEAT_TTL_S,
        )
        pipe.set(self.keys.strategy(name, "mode"), mode)
        if counters:
            guards: _Fields = {}
            guards.update(counters)
            pipe.hset(self.keys.strategy(name, "guards"), mapping=guards)
        try:
            pipe.execute()
        except self._error as exc:
            raise self._fail(exc) from exc

    def push_trip(self, name: str, trip: dict[str, object]) -> None:
        key = self.keys.strategy(name, "trips")
        pipe = self.client.pipeline(transaction=False)
        pipe.lpush(key, json.dumps(trip, sort_keys=True))
        pipe.ltrim(key, 0, TRIPS_KEPT - 1)
        try:
            pipe.execute()
        except self._error as exc:
            raise self._fail(exc) from exc

    def push_session(self, name: str, session: dict[str, object]) -> None:
        """A finished session's result (`id`, `pnl`, ...), newest first: the operator's
        negative-sessions guard reads it."""
        key = self.keys.strategy(name, "sessions")
        pipe = self.client.pipeline(transaction=False)
        pipe.lpush(key, json.dumps(session, sort_keys=True))
        pipe.ltrim(key, 0, SESSIONS_KEPT - 1)
        try:
            pipe.execute()
        except self._error as exc:
            raise self._fail(exc) from exc

    def daily(self, name: str, day: str) -> dict[str, object] | None:
        try:
            raw = self.client.hget(self.keys.strategy(name, "daily"), day)
        except self._error as exc:
            raise self._fail(exc) from exc
        return None if raw is None else dict(json.loads(raw))

    def put_daily(self, name: str, day: str, summary: dict[str, object]) -> None:
        """One UTC day's summary (the operator's ramp gates read these)."""
        try:
            self.client.hset(
                self.keys.strategy(name, "daily"), day, json.dumps(summary, sort_keys=True)
            )
        except self._error as exc:
            raise self._fail(exc) from exc

    def trips(self, name: str) -> list[dict[str, object]]:
        try:
            raw = self.client.lrange(self.keys.strategy(name, "trips"), 0, -1)
        except self._error as exc:
            raise self._fail(exc) from exc
        return [json.loads(item) for item in raw]

    def read_control(self, name: str) -> Control:
        try:
            doc = self.client.hgetall(self.keys.strategy(name, "control"))
        except self._error as exc:
            raise self._fail(exc) from exc
        mode = doc.get(b"mode")
        kill = doc.get(b"kill", b"").decode().lower() in ("1", "true", "yes")
        return Control(
            mode=mode.decode() if mode else None,
            kill=kill,
            reason=doc.get(b"reason", b"").decode(),
        )

    def write_control(
        self, name: str, *, mode: str | None = None, kill: bool | None = None, reason: str = ""
    ) -> None:
        """What the operator (or a test) writes; the strategy only reads it."""
        mapping: _Fields = {"reason": reason}
        if mode is not None:
            mapping["mode"] = mode
        if kill is not None:
            mapping["kill"] = "1" if kill else "0"
        try:
            self.client.hset(self.keys.strategy(name, "control"), mapping=mapping)
        except self._error as exc:
            raise self._fail(exc) from exc
