"""Redis I/O for the operator: read a strategy's reports, write its control key.

Key names follow the runtime's hot state (docs/redis-keys.md):
`{prefix}:strategy:{name}:{heartbeat|mode|guards|trips|sessions|daily|control}`.
The operator cannot import the runtime's market layer (import contract), so the few
key names it uses are spelled here; tests check them against a real runtime.
"""

from __future__ import annotations

import json
from typing import Any

import redis

from solarb_operator.errors import ReportsUnavailable
from solarb_operator.guards import Reports

DAYS_KEPT = 60
SESSIONS_READ = 16


def key(prefix: str, name: str, what: str) -> str:
    return f"{prefix}:strategy:{name}:{what}"


def _json(raw: bytes | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        doc = json.loads(raw)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


class ReportStore:
    """One Redis connection, shared by every strategy using the same URL."""

    def __init__(self, url: str, *, timeout_s: float = 1.0) -> None:
        self.url = url
        self.client: redis.Redis[bytes] = redis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )

    def close(self) -> None:
        self.client.close()

    def read(self, prefix: str, name: str) -> Reports:
        pipe = self.client.pipeline(transaction=False)
        pipe.get(key(prefix, name, "heartbeat"))
        pipe.get(key(prefix, name, "mode"))
        pipe.hgetall(key(prefix, name, "guards"))
        pipe.lrange(key(prefix, name, "trips"), 0, 0)
        pipe.lrange(key(prefix, name, "sessions"), 0, SESSIONS_READ - 1)
        pipe.hgetall(key(prefix, name, "daily"))
        try:
            heartbeat, mode, guards, trips, sessions, daily = pipe.execute()
        except redis.RedisError as exc:
            raise ReportsUnavailable(f"redis {self.url}: {exc}") from exc
        counters: dict[str, float] = {}
        for k, v in guards.items():
            try:
                counters[k.decode()] = float(v)
            except ValueError:
                continue
        days = [d for d in (_json(v) for _, v in sorted(daily.items())) if d is not None]
        return Reports(
            heartbeat=_json(heartbeat),
            mode=mode.decode() if mode else None,
            counters=counters,
            trips=tuple(t for t in (_json(x) for x in trips) if t is not None),
            sessions=tuple(s for s in (_json(x) for x in sessions) if s is not None),
            daily=tuple(days[-DAYS_KEPT:]),
        )

    def drop_to_shadow(self, prefix: str, name: str, reason: str, trip_id: str) -> None:
        """The control key the running pod polls: it drops to shadow without a restart."""
        mapping: dict[str | bytes, bytes | float | int | str] = {
            "mode": "shadow",
            "reason": reason,
            "trip_id": trip_id,
        }
        try:
            self.client.hset(key(prefix, name, "control"), mapping=mapping)
        except redis.RedisError as exc:
            raise ReportsUnavailable(f"redis {self.url}: {exc}") from exc

    def clear_control(self, prefix: str, name: str) -> None:
        """Re-arm: the forced mode goes away (the re-rendered pod starts in its spec mode)."""
        try:
            self.client.delete(key(prefix, name, "control"))
        except redis.RedisError as exc:
            raise ReportsUnavailable(f"redis {self.url}: {exc}") from exc
