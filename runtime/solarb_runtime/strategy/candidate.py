"""Turning a sized route into an `Opportunity` (the finders' common last step).

A finder meets the same routes slot after slot, so what an opportunity takes from its
route alone (the hops, the id's route part, each leg's venue, pool and mints) is worked
out once per route (`RouteForm`), and a native sizer's result becomes legs directly,
without the `Quote`s and `SizedRoute` the Python sizer returns.
"""

from __future__ import annotations

from collections.abc import Sequence

from solarb_runtime.domain.opportunity import (
    Hop,
    Leg,
    Opportunity,
    OpportunityKind,
    ev_bps,
    id_hasher,
    route_key,
    sized_id,
)
from solarb_runtime.strategy.route import NativeRoute, Route
from solarb_runtime.strategy.sizer import BPS, NativeSized, SizedRoute, Sizer

# `Leg` is a NamedTuple: its Python-level __new__ only packs the fields into the tuple.
_new_leg = tuple.__new__


class RouteForm:
    """What every opportunity on one route shares, computed once for the route."""

    __slots__ = ("_hasher", "_heads", "hops", "kind", "token")

    def __init__(self, kind: OpportunityKind, hops: Sequence[Hop]) -> None:
        self.kind = kind
        self.hops = tuple(hops)
        self.token = self.hops[0].mint_in
        self._hasher = id_hasher(route_key(self.hops))
        # Each leg's leading fields: (venue, pool, mint_in, mint_out).
        self._heads = tuple((h.venue, h.pool, h.mint_in, h.mint_out) for h in self.hops)

    def from_sized(self, sized: SizedRoute, *, slot: int, now_ns: int) -> Opportunity:
        """The opportunity at the Python sizer's size."""
        legs = tuple(
            [
                _new_leg(Leg, (*head, q.amount_in, q.amount_out, m, q.fee))
                for head, q, m in zip(self._heads, sized.quotes, sized.min_outs, strict=True)
            ]
        )
        return self._opportunity(legs, sized.size, sized.costs, sized.ev, slot=slot, now_ns=now_ns)

    def from_native(
        self, found: NativeSized, slippage_bps: int, *, slot: int, now_ns: int
    ) -> Opportunity:
        """The opportunity at a native sizer's size: the same one `from_sized` gives for
        `Sizer.from_native(hops, found)` (min-outs from `slippage_bps`)."""
        size, ev, costs, swaps = found
        keep = BPS - slippage_bps  # `min_out` inlined: a call per leg costs more than a leg
        legs = tuple(
            [
                _new_leg(Leg, (*head, a_in, a_out, a_out * keep // BPS, fee))
                for head, (a_in, a_out, fee, _) in zip(self._heads, swaps, strict=True)
            ]
        )
        return self._opportunity(legs, size, costs, ev, slot=slot, now_ns=now_ns)

    def _opportunity(
        self, legs: tuple[Leg, ...], size: int, costs: int, ev: int, *, slot: int, now_ns: int
    ) -> Opportunity:
        # The id depends on route, slot and size only (replays give the same ids).
        return Opportunity(
            sized_id(self._hasher, slot, size),
            self.kind,
            self.token,
            legs,
            size,
            legs[-1].amount_out,
            costs,
            ev,
            ev_bps(ev, size),
            slot,
            now_ns,
        )


def sized_opportunity(
    form: RouteForm, sizer: Sizer, route: Route, *, slot: int, now_ns: int
) -> Opportunity | None:
    """`route` (bound hops of `form`) at `sizer`'s best size; None unless its EV > 0.

    A route the native core sizes goes straight from the native result to legs."""
    if sizer.native and isinstance(route, NativeRoute):
        found = sizer.size_natively(route)
        if found is None or found[1] <= 0:
            return None
        return form.from_native(found, sizer.slippage_bps, slot=slot, now_ns=now_ns)
    sized = sizer.size(route)
    if sized is None or sized.ev <= 0:
        return None
    return form.from_sized(sized, slot=slot, now_ns=now_ns)


def opportunity_from(
    kind: OpportunityKind,
    hops: Sequence[Hop],
    sized: SizedRoute,
    *,
    slot: int,
    now_ns: int,
) -> Opportunity:
    """The opportunity for `hops` at the sizer's size; its id depends on route, slot, size."""
    return RouteForm(kind, hops).from_sized(sized, slot=slot, now_ns=now_ns)
