"""Turning a sized route into an `Opportunity` (the finders' common last step)."""

from __future__ import annotations

from collections.abc import Sequence

from solarb_runtime.domain.opportunity import (
    Hop,
    Leg,
    Opportunity,
    OpportunityKind,
    ev_bps,
    opportunity_id,
    route_key,
)
from solarb_runtime.strategy.sizer import SizedRoute


def opportunity_from(
    kind: OpportunityKind,
    hops: Sequence[Hop],
    sized: SizedRoute,
    *,
    slot: int,
    now_ns: int,
) -> Opportunity:
    """The opportunity for `hops` at the sizer's size; its id depends on route, slot, size."""
    legs = tuple(
        Leg(
            venue=hop.venue,
            pool=hop.pool,
            mint_in=hop.mint_in,
            mint_out=hop.mint_out,
            amount_in=q.amount_in,
            amount_out=q.amount_out,
            min_out=m,
            fee=q.fee,
        )
        for hop, q, m in zip(hops, sized.quotes, sized.min_outs, strict=True)
    )
    route = route_key(tuple(hops))
    return Opportunity(
        id=opportunity_id(route, slot, sized.size),
        kind=kind,
        token=hops[0].mint_in,
        legs=legs,
        size=sized.size,
        gross_out=sized.gross_out,
        costs=sized.costs,
        ev_pred=sized.ev,
        ev_pred_bps=ev_bps(sized.ev, sized.size),
        detected_slot=slot,
        detected_ns=now_ns,
    )
