"""An opportunity: a sized, exactly quoted route that ends in the token it started with.

`opportunity_id` is the correlation id through every journal record, span and log line.
It is derived from the route, the slot and the size only, so a replayed capture gives the
same ids as the live run it was recorded from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Literal, NamedTuple

from solders.pubkey import Pubkey

OpportunityKind = Literal["edge", "cycle"]


@dataclass(frozen=True, slots=True)
class Hop:
    """One directed swap of a route, before sizing: which pool, which way."""

    venue: str
    pool: Pubkey
    mint_in: Pubkey
    mint_out: Pubkey


def route_key(hops: tuple[Hop, ...]) -> str:
    """A stable text key of a route (pools and directions); the dedupe key of its opportunities."""
    return _route_text(tuple([(h.pool, h.mint_in) for h in hops]))


@lru_cache(maxsize=65_536)
def _route_text(sides: tuple[tuple[Pubkey, Pubkey], ...]) -> str:
    """`route_key` of the route's (pool, mint_in) pairs. Memoised: routes recur every slot,
    and base58 of each key costs more than the lookup."""
    return ">".join([_side_text(pool, mint_in) for pool, mint_in in sides])


@lru_cache(maxsize=65_536)
def _side_text(pool: Pubkey, mint_in: Pubkey) -> str:
    """One hop's part of `route_key`, memoised too: a new route mostly reuses hops
    (pools and their directions) seen in other routes."""
    return f"{pool}:{mint_in}"


class Leg(NamedTuple):
    """One sized swap: exact-in `amount_in`, the exact quoted `amount_out`, and its floor.

    Immutable like the other domain values, but a NamedTuple (as `Quote`): every found
    opportunity builds one per leg on the decision path, and a frozen dataclass's
    per-field `object.__setattr__` costs three times as much.
    """

    venue: str
    pool: Pubkey
    mint_in: Pubkey
    mint_out: Pubkey
    amount_in: int
    amount_out: int
    min_out: int
    fee: int = 0

    @property
    def hop(self) -> Hop:
        return Hop(self.venue, self.pool, self.mint_in, self.mint_out)


@dataclass(frozen=True, slots=True)
class Opportunity:
    """A route sized to its best expected value, with per-leg min-outs.

    Amounts are atoms of `token` (the route's start and end mint). `ev_pred` is the final
    output minus `size` minus `costs` (priority fee, tip, flash fee converted to `token`).
    """

    id: str
    kind: OpportunityKind
    token: Pubkey
    legs: tuple[Leg, ...]
    size: int
    gross_out: int
    costs: int
    ev_pred: int
    ev_pred_bps: float
    detected_slot: int
    detected_ns: int

    def __init__(  # noqa: PLR0917 - positional, as the generated __init__ it replaces
        self,
        id: str,
        kind: OpportunityKind,
        token: Pubkey,
        legs: tuple[Leg, ...],
        size: int,
        gross_out: int,
        costs: int,
        ev_pred: int,
        ev_pred_bps: float,
        detected_slot: int,
        detected_ns: int,
    ) -> None:
        # The generated frozen __init__ sets each field by name through
        # `object.__setattr__`; the slots' own setters skip that lookup (twice as fast,
        # on the decision path). Still frozen: assignment goes through `__setattr__`.
        s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10 = _OPPORTUNITY_SETTERS
        s0(self, id)
        s1(self, kind)
        s2(self, token)
        s3(self, legs)
        s4(self, size)
        s5(self, gross_out)
        s6(self, costs)
        s7(self, ev_pred)
        s8(self, ev_pred_bps)
        s9(self, detected_slot)
        s10(self, detected_ns)

    @property
    def min_outs(self) -> tuple[int, ...]:
        return tuple(leg.min_out for leg in self.legs)

    @property
    def hops(self) -> tuple[Hop, ...]:
        return tuple(leg.hop for leg in self.legs)

    @property
    def route(self) -> str:
        # From the legs' (pool, mint_in) directly: the guards ask on every decision.
        return _route_text(tuple([(leg.pool, leg.mint_in) for leg in self.legs]))

    @property
    def pools(self) -> tuple[Pubkey, ...]:
        return tuple(leg.pool for leg in self.legs)


def _slot_setters(cls: type) -> tuple[Callable[[object, object], None], ...]:
    """The slot descriptors' setters of `cls`'s fields, in field order."""
    return tuple(cls.__dict__[f.name].__set__ for f in fields(cls))


_OPPORTUNITY_SETTERS = _slot_setters(Opportunity)


def opportunity_id(route: str, slot: int, size: int) -> str:
    """Deterministic 16-hex-digit id of a route sized at a slot."""
    return sized_id(id_hasher(route), slot, size)


def id_hasher(route: str) -> hashlib.blake2b:
    """The id hash fed with `route`'s part: a route's ids, one per slot and size, then
    each hash only the slot and size (on a copy) instead of the whole key again."""
    return hashlib.blake2b(f"{route}|".encode(), digest_size=8)


def sized_id(hasher: hashlib.blake2b, slot: int, size: int) -> str:
    """`opportunity_id` of the route `hasher` was fed (`id_hasher`) at `slot` and `size`."""
    digest = hasher.copy()
    digest.update(b"%d|%d" % (slot, size))
    return digest.hexdigest()


def ev_bps(ev: int, size: int) -> float:
    """EV as basis points of the size (a report figure; decisions use the integer EV)."""
    return 0.0 if size <= 0 else ev * 10_000 / size
