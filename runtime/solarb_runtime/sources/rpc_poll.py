"""`rpc`: a venue feed that polls `getMultipleAccounts` for its pools and their dependencies.

Every `interval_ms` one poll reads every pool's primary account and the accounts its
venue's `dependencies()` names, and yields a `SlotUpdate` (the reads' context slot) then one
`AccountBatch` of the accounts whose bytes or owner changed since the last poll (none when
nothing changed): a poll is one consistent read, so the consumer decodes it as one. A pool
whose primary changed has its dependencies re-resolved and any new ones read in the same
poll, so a consumer never waits a whole interval for, e.g., a Whirlpool's new tick array.
An account that does not exist is emitted as an empty system-owned account, as venues
expect (docs/venues.md). While the RPC fails the source yields `Idle` on every interval,
counts the failures and logs one line per failure streak; it never raises for a failed read.
"""

from __future__ import annotations

import http.client
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit

from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount, absent_account
from solarb_runtime.domain.amounts import AmountError
from solarb_runtime.sources.base import AccountBatch, Idle, PoolRef, SlotUpdate, SourceEvent
from solarb_runtime.sources.rpc import RpcError
from solarb_runtime.venues.base import Venue, VenueError

# One Solana slot is ~400 ms: polling faster mostly re-reads the same state.
DEFAULT_INTERVAL_MS = 400
# Owner of an account that does not exist, as venues expect to see it (docs/venues.md).


class AccountReader(Protocol):
    """What the poller needs of an RPC client (`sources/rpc.py` `RpcClient`)."""

    url: str

    def get_multiple_accounts_at(
        self, keys: Sequence[Pubkey]
    ) -> tuple[int, dict[Pubkey, RawAccount | None]]: ...


def redacted(url: str) -> str:
    """The URL without path, query or credentials: RPC URLs often carry an API token."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class RpcPollSource:
    """Polls a JSON-RPC node for a venue's pools; emits only what changed."""

    name = "rpc"

    def __init__(
        self,
        client: AccountReader,
        pools: Sequence[PoolRef],
        venues: Mapping[str, Venue[Any]],
        *,
        interval_ms: int = DEFAULT_INTERVAL_MS,
        sleep: Callable[[float], None] = time.sleep,
        clock_ns: Callable[[], int] = time.time_ns,
        monotonic: Callable[[], float] = time.monotonic,
        log: Callable[[str], None] = _stderr,
    ) -> None:
        self.client = client
        self._pools = list(pools)
        self._venues = {p.address: venues[p.kind] for p in self._pools}
        self.interval_ms = interval_ms
        self._sleep = sleep
        self._clock_ns = clock_ns
        self._monotonic = monotonic
        self._log = log
        self._closed = False
        # Each pool's current dependencies, re-resolved when its primary's bytes change.
        self._deps: dict[Pubkey, tuple[Pubkey, ...]] = {}
        self._last: dict[Pubkey, tuple[Pubkey, bytes]] = {}
        self.polls = 0
        self.failures = 0
        self.failing = False
        self.emitted_accounts = 0
        self.bad_primaries = 0

    def pools(self) -> Sequence[PoolRef]:
        return list(self._pools)

    def events(self) -> Iterator[SourceEvent]:
        while not self._closed:
            started = self._monotonic()
            try:
                slot, accounts = self._poll()
            except (RpcError, http.client.HTTPException) as exc:
                yield self._failed(exc)
            else:
                if self.failing:
                    self.failing = False
                    self._log(f"rpc feed: {redacted(self.client.url)} answers again")
                self.polls += 1
                ts = self._clock_ns()
                yield SlotUpdate(slot, ts)
                if accounts:
                    self.emitted_accounts += len(accounts)
                    yield AccountBatch(tuple(accounts), ts)
            if self.closed:
                return
            wait = self.interval_ms / 1000 - (self._monotonic() - started)
            if wait > 0:
                self._sleep(wait)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        self._closed = True

    def _failed(self, exc: Exception) -> Idle:
        self.failures += 1
        if not self.failing:
            self.failing = True
            # The client's message names the full URL; keep a token in it out of the log.
            reason = str(exc).replace(self.client.url, redacted(self.client.url))
            self._log(f"rpc feed: polling failed, retrying every {self.interval_ms} ms: {reason}")
        return Idle(self._clock_ns())

    def _poll(self) -> tuple[int, list[RawAccount]]:
        """One poll: the newest context slot and the changed accounts, primaries first."""
        wanted = self._wanted()
        slot, fetched = self.client.get_multiple_accounts_at(wanted)
        # Venues name dependencies of the primary alone, so one extra read completes it.
        new = [key for key in self._resolve(fetched, slot) if key not in fetched]
        if new:
            more_slot, more = self.client.get_multiple_accounts_at(new)
            slot = max(slot, more_slot)
            fetched.update(more)
        changed: list[RawAccount] = []
        for key in self._wanted():
            if key not in fetched:
                continue
            raw = fetched[key]
            if raw is None:
                raw = absent_account(key, slot)
            seen = (raw.owner, raw.data)
            if self._last.get(key) != seen:
                self._last[key] = seen
                changed.append(raw)
        return slot, changed

    def _wanted(self) -> list[Pubkey]:
        """Primaries, then each pool's dependencies (sorted), each account once."""
        keys: dict[Pubkey, None] = {p.address: None for p in self._pools}
        for pool in self._pools:
            for dep in sorted(self._deps.get(pool.address, ()), key=bytes):
                keys.setdefault(dep, None)
        return list(keys)

    def _resolve(self, fetched: Mapping[Pubkey, RawAccount | None], slot: int) -> list[Pubkey]:
        """Re-resolve the dependencies of every pool whose primary is new or changed."""
        for pool in self._pools:
            key = pool.address
            if key not in fetched:
                continue
            raw = fetched[key]
            if raw is None:
                raw = absent_account(key, slot)
            if key in self._deps and self._last.get(key) == (raw.owner, raw.data):
                continue
            try:
                deps = self._venues[key].dependencies(raw)
            except (VenueError, AmountError, ValueError):
                # Not (yet) a pool of this venue: the consumer rejects it with the reason.
                self.bad_primaries += 1
                deps = ()
            self._deps[key] = deps
        return self._wanted()
