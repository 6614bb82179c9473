"""Exact quoting of a route (a chain of directed swaps) at a given input size.

Every leg is quoted exact-in with the venue's own integer math; the output of one leg
is the input of the next. A quote the program would refuse makes the whole route
unquotable at that size (None), never an exception: the finders and the sizer treat it
as "not tradeable here".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from solders.pubkey import Pubkey

from solarb_runtime.domain.amounts import AmountError
from solarb_runtime.domain.opportunity import Hop
from solarb_runtime.venues.base import PoolState, Quote, QuoteError, Venue, VenueError

# What a venue may raise for a size it cannot quote; anything else is a bug and propagates.
QUOTE_FAILURES: tuple[type[Exception], ...] = (QuoteError, AmountError)
# An exact-out guess may also meet a venue that does not quote exact-out at all.
_HINT_FAILURES: tuple[type[Exception], ...] = (*QUOTE_FAILURES, VenueError, NotImplementedError)


class PoolLookup(Protocol):
    """What route quoting needs from the market (MarketState implements it)."""

    def pool(self, address: Pubkey) -> PoolState | None: ...

    def venue_of(self, pool: Pubkey) -> Venue[Any]: ...


@dataclass(frozen=True, slots=True)
class PricedHop:
    """A hop bound to the pool state it is quoted against."""

    venue: Venue[Any]
    state: PoolState
    mint_in: Pubkey


def bind(market: PoolLookup, hops: Sequence[Hop]) -> tuple[PricedHop, ...] | None:
    """Bind hops to current pool states; None if any pool has no decoded state."""
    out: list[PricedHop] = []
    for hop in hops:
        state = market.pool(hop.pool)
        if state is None:
            return None
        out.append(PricedHop(market.venue_of(hop.pool), state, hop.mint_in))
    return tuple(out)


def route_out(route: Sequence[PricedHop], amount_in: int) -> int | None:
    """Final output of the route for `amount_in`, or None if any leg cannot be quoted."""
    amount = amount_in
    try:
        for hop in route:
            amount = hop.venue.quote_exact_in(hop.state, hop.mint_in, amount).amount_out
    except QUOTE_FAILURES:
        return None
    return amount


def route_quotes(route: Sequence[PricedHop], amount_in: int) -> tuple[Quote, ...] | None:
    """Every leg's quote for `amount_in`, or None if any leg cannot be quoted."""
    quotes: list[Quote] = []
    amount = amount_in
    try:
        for hop in route:
            quote = hop.venue.quote_exact_in(hop.state, hop.mint_in, amount)
            quotes.append(quote)
            amount = quote.amount_out
    except QUOTE_FAILURES:
        return None
    return tuple(quotes)


def route_in(route: Sequence[PricedHop], amount_out: int) -> int | None:
    """The input an exact-out chain asks for `amount_out` (None if any leg refuses).

    Exact-out and exact-in round differently, so this is only a close guess of the least
    exact-in size that delivers `amount_out`; callers confirm it with exact-in quotes.
    """
    amount = amount_out
    try:
        for hop in reversed(route):
            amount = hop.venue.quote_exact_out(hop.state, hop.mint_in, amount).amount_in
    except _HINT_FAILURES:
        # A guess only: a venue that cannot quote exact-out here just gives no hint.
        return None
    return amount
