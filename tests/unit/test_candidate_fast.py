"""Opportunities built straight from native sizing results (`RouteForm.from_native`) are
exactly those the Python sizer's `SizedRoute`s give: every field, the id, the order."""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
from collections.abc import Iterator, Sequence

import pytest
from solders.pubkey import Pubkey

from solarb_runtime.commands.bench_engine import (
    _encode_all,
    _slot_batches,
    graph_universe,
    pair_config,
)
from solarb_runtime.commands.parts import Finders
from solarb_runtime.domain.opportunity import Hop, Leg, Opportunity, OpportunityKind, ev_bps
from solarb_runtime.market.state import MarketState
from solarb_runtime.sources.base import AccountBatch
from solarb_runtime.sources.sim import SimSource
from solarb_runtime.sources.sim_makers import default_makers
from solarb_runtime.sources.sim_market import SimMarket
from solarb_runtime.strategy.candidate import RouteForm, opportunity_from
from solarb_runtime.strategy.route import NativeRoute, bind
from solarb_runtime.strategy.sizer import SizedRoute, Sizer
from solarb_runtime.venues.registry import VENUES

SLOT, NOW = 321_654_987, 1_750_000_000_000_000_000


def _reference(
    kind: OpportunityKind, hops: Sequence[Hop], sized: SizedRoute, slot: int, now_ns: int
) -> Opportunity:
    """The opportunity as it was built before `RouteForm`, written out: the oracle."""
    legs = tuple(
        Leg(h.venue, h.pool, h.mint_in, h.mint_out, q.amount_in, q.amount_out, m, q.fee)
        for h, q, m in zip(hops, sized.quotes, sized.min_outs, strict=True)
    )
    route = ">".join(f"{h.pool}:{h.mint_in}" for h in hops)
    digest = hashlib.blake2b(f"{route}|{slot}|{sized.size}".encode(), digest_size=8)
    return Opportunity(
        id=digest.hexdigest(),
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


def _batches(seed: int, slots: int) -> tuple[SimSource, list[AccountBatch]]:
    source = SimSource.from_config(
        pair_config(seed, max_hops=3), VENUES, default_makers(), realtime=False, max_slots=slots
    )
    return source, [e for e in source.events() if isinstance(e, AccountBatch)]


def _finders(seed: int, source: SimSource, *, native_sizer: bool) -> tuple[MarketState, Finders]:
    market = MarketState([(p.kind, p.address) for p in source.pools()], VENUES)
    finders = Finders(pair_config(seed, max_hops=3), market)
    finders.sizer.native = native_sizer
    return market, finders


def _found(
    market: MarketState, finders: Finders, batches: list[AccountBatch]
) -> Iterator[Opportunity]:
    for batch in batches:
        changed = market.apply_batch(batch.accounts, batch.ts_ns)
        if changed:
            yield from finders.find(market, changed, batch.ts_ns)


@pytest.mark.parametrize("seed", [11, 3])
def test_finders_find_the_same_opportunities_on_native_and_python_sizing(seed: int) -> None:
    source, batches = _batches(seed, 40)
    native = list(_found(*_finders(seed, source, native_sizer=True), batches))
    python = list(_found(*_finders(seed, source, native_sizer=False), batches))
    assert {o.kind for o in native} == {"edge", "cycle"}
    assert len(native) > 20
    assert native == python


def _graph_market(seed: int) -> tuple[MarketState, Finders]:
    """A sim universe of many pools of every native kind, the market one slot on."""
    kinds = ["raydium-cpmm", "orca-whirlpool", "meteora-dlmm", "phoenix"]
    tokens, specs = graph_universe(40, 160, kinds, seed)
    sim = SimMarket(tokens, specs, dict(VENUES), default_makers(), seed=seed)
    market = MarketState([(s.kind, s.address) for s in specs], VENUES)
    market.apply_batch(_encode_all(sim, [s.address for s in specs]), 0)
    for batch in _slot_batches(sim, specs, 1):
        market.apply_batch(batch, 400_000_000)
    return market, Finders(pair_config(seed, max_hops=3), market)


@pytest.mark.parametrize("seed", [5, 8])
def test_native_results_become_the_opportunities_the_python_sizer_gives(seed: int) -> None:
    market, finders = _graph_market(seed)
    assert finders.cycles is not None
    finders.cycles.rebuild()
    native = finders.sizer
    python = Sizer(native.min_size, native.max_size, native.costs, native.slippage_bps)
    python.native = False
    compared = 0
    for hops in finders.cycles.cycles()[:150]:
        route = bind(market, hops)
        assert isinstance(route, NativeRoute)
        found, sized = native.size_natively(route), python.size(route)
        if found is None:
            assert sized is None
            continue
        assert sized is not None
        form = RouteForm("cycle", hops)
        got = form.from_native(found, native.slippage_bps, slot=SLOT, now_ns=NOW)
        assert got == _reference("cycle", hops, sized, SLOT, NOW)
        assert got == form.from_sized(sized, slot=SLOT, now_ns=NOW)
        assert got == opportunity_from("cycle", hops, sized, slot=SLOT, now_ns=NOW)
        compared += 1
    assert compared > 50


def _opportunity(**changes: object) -> Opportunity:
    pool, mint_in, mint_out = (Pubkey.new_unique() for _ in range(3))
    leg = Leg("raydium-cpmm", pool, mint_in, mint_out, 10, 12, 11, 1)
    fields: dict[str, object] = {
        "id": "0123456789abcdef",
        "kind": "edge",
        "token": mint_in,
        "legs": (leg,),
        "size": 10,
        "gross_out": 12,
        "costs": 1,
        "ev_pred": 1,
        "ev_pred_bps": 1000.0,
        "detected_slot": 7,
        "detected_ns": 8,
    }
    fields.update(changes)
    return Opportunity(**fields)  # type: ignore[arg-type]


def test_opportunity_init_keeps_the_dataclass_behaviour() -> None:
    opp = _opportunity()
    names = [f.name for f in dataclasses.fields(Opportunity)]
    assert list(inspect.signature(Opportunity).parameters) == names
    values = [getattr(opp, n) for n in names]
    assert values[1:] == ["edge", opp.token, opp.legs, 10, 12, 1, 1, 1000.0, 7, 8]
    same = Opportunity(*values)
    assert same == opp
    assert hash(same) == hash(opp)
    assert dataclasses.replace(opp, size=11) != opp
    assert dataclasses.replace(opp, size=11).size == 11
    with pytest.raises(dataclasses.FrozenInstanceError):
        opp.size = 11  # type: ignore[misc]
    with pytest.raises(TypeError):
        Opportunity(*values[:-1])  # type: ignore[call-arg]
