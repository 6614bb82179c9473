"""The source contract: a stream of account and slot updates the engine consumes.

Every source (sim, replay, redis, rpc) yields the same three events. Timestamps are the
source's own clock (`ts_ns`): simulated time for the sim, recorded time for a replay, the
feed's receive time for Redis. The engine decides on that clock, so a replay decides the
same way as the run it recorded.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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
class SlotUpdate:
    """The cluster reached `slot` at `ts_ns`."""

    slot: int
    ts_ns: int


@dataclass(frozen=True, slots=True)
class Idle:
    """Nothing arrived for a while: lets the engine run its timers (guards, heartbeat)."""

    ts_ns: int


SourceEvent = AccountUpdate | SlotUpdate | Idle


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
