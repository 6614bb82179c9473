"""Exact quoting of a route (a chain of directed swaps) at a given input size.

Every leg is quoted exact-in with the venue's own integer math; the output of one leg
is the input of the next. A quote the program would refuse makes the whole route
unquotable at that size (None), never an exception: the finders and the sizer treat it
as "not tradeable here".

A route binds to the native core (`NativeRoute`) when the market holds every pool of it
natively: then it is quoted and sized in Rust, in one call per route. Otherwise its hops
bind to the Python states (`PricedHop`), the reference path.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import solarb_native
from solders.pubkey import Pubkey

from solarb_runtime.domain.amounts import AmountError
from solarb_runtime.domain.opportunity import Hop
from solarb_runtime.venues.base import PoolState, Quote, QuoteError, Venue, VenueError
from solarb_runtime.venues.curve import LegCurve, Piece
from solarb_runtime.venues.native import NativePool, NativeSwap, quote_error

# What a venue may raise for a size it cannot quote; anything else is a bug and propagates.
QUOTE_FAILURES: tuple[type[Exception], ...] = (QuoteError, AmountError)
# An exact-out guess may also meet a venue that does not quote exact-out at all.
_HINT_FAILURES: tuple[type[Exception], ...] = (*QUOTE_FAILURES, VenueError, NotImplementedError)


class PoolLookup(Protocol):
    """What route quoting needs from the market (MarketState implements it)."""

    def pool(self, address: Pubkey) -> PoolState | None: ...

    def venue_of(self, pool: Pubkey) -> Venue[Any]: ...

    def native_leg(self, address: Pubkey, mint_in: Pubkey) -> tuple[NativePool, bool] | None: ...


@dataclass(frozen=True, slots=True)
class PricedHop:
    """A hop bound to the pool state it is quoted against."""

    venue: Venue[Any]
    state: PoolState
    mint_in: Pubkey


@dataclass(frozen=True, slots=True)
class NativeRoute:
    """A route every pool of which the native core holds: `legs` are (pool, a_to_b)."""

    hops: tuple[Hop, ...]
    legs: tuple[tuple[NativePool, bool], ...]

    def __len__(self) -> int:
        return len(self.hops)


BoundRoute = NativeRoute | tuple[PricedHop, ...]
# What the quoting functions take: a bound route, or hops a test put together.
Route = NativeRoute | Sequence[PricedHop]


def bind(market: PoolLookup, hops: Sequence[Hop]) -> BoundRoute | None:
    """Bind hops to current pool states; None if any pool has no decoded state."""
    legs: list[tuple[NativePool, bool]] = []
    for hop in hops:
        leg = market.native_leg(hop.pool, hop.mint_in)
        if leg is None:
            break
        legs.append(leg)
    else:
        return NativeRoute(tuple(hops), tuple(legs))
    out: list[PricedHop] = []
    for hop in hops:
        state = market.pool(hop.pool)
        if state is None:
            return None
        out.append(PricedHop(market.venue_of(hop.pool), state, hop.mint_in))
    return tuple(out)


def leg_out(route: Route, index: int, amount_in: int) -> int | None:
    """Leg `index`'s exact output for `amount_in`, None where the venue refuses the size."""
    if isinstance(route, NativeRoute):
        pool, a_to_b = route.legs[index]
        try:
            return pool.swap(a_to_b, amount_in, True)[1]
        except solarb_native.QuoteFailure:
            return None
    hop = route[index]
    try:
        return hop.venue.quote_exact_in(hop.state, hop.mint_in, amount_in).amount_out
    except QUOTE_FAILURES:
        return None


def route_out(route: Route, amount_in: int) -> int | None:
    """Final output of the route for `amount_in`, or None if any leg cannot be quoted."""
    if isinstance(route, NativeRoute):
        return solarb_native.route_out(route.legs, amount_in)
    amount = amount_in
    try:
        for hop in route:
            amount = hop.venue.quote_exact_in(hop.state, hop.mint_in, amount).amount_out
    except QUOTE_FAILURES:
        return None
    return amount


def native_quote(hop: Hop, swap: NativeSwap) -> Quote:
    """A native swap as the `Quote` the Python venue would have returned."""
    amount_in, amount_out, fee, steps = swap
    return Quote(
        hop.venue, hop.pool, hop.mint_in, hop.mint_out, amount_in, amount_out, fee, True, steps
    )


def route_quotes(route: Route, amount_in: int) -> tuple[Quote, ...] | None:
    """Every leg's quote for `amount_in`, or None if any leg cannot be quoted."""
    quotes: list[Quote] = []
    amount = amount_in
    if isinstance(route, NativeRoute):
        for step, (pool, a_to_b) in zip(route.hops, route.legs, strict=True):
            try:
                swap = pool.swap(a_to_b, amount, True)
            except solarb_native.QuoteFailure:
                return None
            quotes.append(native_quote(step, swap))
            amount = swap[1]
        return tuple(quotes)
    try:
        for hop in route:
            quote = hop.venue.quote_exact_in(hop.state, hop.mint_in, amount)
            quotes.append(quote)
            amount = quote.amount_out
    except QUOTE_FAILURES:
        return None
    return tuple(quotes)


def route_in(route: Route, amount_out: int) -> int | None:
    """The input an exact-out chain asks for `amount_out` (None if any leg refuses).

    Exact-out and exact-in round differently, so this is only a close guess of the least
    exact-in size that delivers `amount_out`; callers confirm it with exact-in quotes.
    """
    amount = amount_out
    if isinstance(route, NativeRoute):
        try:
            for pool, a_to_b in reversed(route.legs):
                amount = pool.swap(a_to_b, amount, False)[0]
        except solarb_native.QuoteFailure:
            return None
        return amount
    try:
        for hop in reversed(route):
            amount = hop.venue.quote_exact_out(hop.state, hop.mint_in, amount).amount_in
    except _HINT_FAILURES:
        # A guess only: a venue that cannot quote exact-out here just gives no hint.
        return None
    return amount


def route_curves(route: Route) -> list[LegCurve]:
    """Each leg's continuous model (`Venue.curve`); raises what a venue raises."""
    if isinstance(route, NativeRoute):
        return [native_curve(pool, a_to_b) for pool, a_to_b in route.legs]
    return [hop.venue.curve(hop.state, hop.mint_in) for hop in route]


def native_curve(pool: NativePool, a_to_b: bool) -> LegCurve:
    try:
        pieces = pool.pieces(a_to_b, math.inf)
    except solarb_native.QuoteFailure as exc:
        raise quote_error(Pubkey.from_bytes(pool.address), exc) from None
    return LegCurve(Piece(*p) for p in pieces)
