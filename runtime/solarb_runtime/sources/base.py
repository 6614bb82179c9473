"""The source contract: a stream of account and slot updates the engine consumes.

Every source (sim, replay, redis, rpc) yields the same events. Accounts come in batches:
all the accounts a source delivered together (one sim slot, one RPC poll, one Redis
stream read). The engine stores a whole batch before it decodes anything, so a pool whose
update spans several accounts (a CPMM pool and its two vaults) is decoded once and never
evaluated half-updated. A lone `AccountUpdate` is still valid: a batch of one.

Timestamps are the source's own clock (`ts_ns`): simulated time for the sim, recorded
time for a replay, the feed's receive time for Redis. The engine decides on that clock,
so a replay decides the same way as the run it recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from solders.pubkey import Pubkey

from solarb_runtime.domain.account import RawAccount
from solarb_runtime.domain.errors import SolarbError, UserError


class SourceError(SolarbError):
    """A source cannot continue (bad capture, unreachable feed that will not come back)."""


class CaptureError(UserError):
    """A capture file that cannot be read: names the file, the line and the reason."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


@dataclass(frozen=True, slots=True)
class AccountUpdate:
    """New bytes for one account, observed at `ts_ns` on the source clock."""

    account: RawAccount
    ts_ns: int


@dataclass(frozen=True, slots=True)
class AccountBatch:
    """Accounts delivered together, all observed at `ts_ns` (the batch's arrival).

    Order is the source's delivery order; the market stores every account before decoding
    any pool, so the order within a batch never shows a torn state. Sources never emit an
    empty batch.
    """

    accounts: tuple[RawAccount, ...]
    ts_ns: int


@dataclass(frozen=True, slots=True)
class SlotUpdate:
    """The cluster reached `slot` at `ts_ns`."""

    slot: int
    ts_ns: int


@dataclass(frozen=True, slots=True)
class Idle:
    """Nothing arrived for a while: lets the engine run its timers (guards, heartbeat)."""

    ts_ns: int


SourceEvent = AccountBatch | AccountUpdate | SlotUpdate | Idle


def batch_accounts(event: AccountBatch | AccountUpdate) -> tuple[RawAccount, ...]:
    """The accounts an account event carries (a lone update is a batch of one)."""
    return event.accounts if isinstance(event, AccountBatch) else (event.account,)


def unbatched(events: Iterable[SourceEvent]) -> Iterator[SourceEvent]:
    """`events` with every batch split into one `AccountUpdate` per account (same `ts_ns`).

    For consumers that handle accounts one at a time (a feed republishing to Redis).
    """
    for event in events:
        if isinstance(event, AccountBatch):
            for account in event.accounts:
                yield AccountUpdate(account, event.ts_ns)
        else:
            yield event


@dataclass(frozen=True, slots=True)
class PoolRef:
    """A pool a source carries: the venue kind that decodes it and its primary address."""

    kind: str
    address: Pubkey


class Source(Protocol):
    """A finite or endless stream of events. Implementations own their I/O and clean up."""

    name: str

    def pools(self) -> Sequence[PoolRef]:
        """Pools this source knows it carries (empty: the caller's configuration decides)."""
        ...

    def events(self) -> Iterator[SourceEvent]:
        """The event stream; ends when the source is exhausted or `close` was called."""
        ...

    def close(self) -> None:
        """Stop producing events and release resources; safe to call twice."""
        ...
