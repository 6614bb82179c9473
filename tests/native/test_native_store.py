"""The native account store behind `MarketState`: dependency lists kept by their heads.

The store asks a venue for a pool's dependency list only when the bytes the list follows
from (its head) move. These tests run the sim's four venue kinds for many slots and check
that the lists the store holds are always the ones the venue would give now, and that the
venue is asked rarely.
"""

from __future__ import annotations

import random
import struct
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from solders.pubkey import Pubkey

from solarb_runtime.commands.bench_engine import (
    _encode_all,
    _slot_batches,
    derived_key,
    graph_universe,
)
from solarb_runtime.domain.account import RawAccount
from solarb_runtime.market.state import MarketState
from solarb_runtime.sources.sim_makers import default_makers
from solarb_runtime.sources.sim_market import PoolSpec, SimMarket, SimPool
from solarb_runtime.strategy.edges import EdgeJoiner, Pair
from solarb_runtime.strategy.sizer import CostModel, Sizer
from solarb_runtime.venues.meteora_dlmm import MeteoraDlmmVenue
from solarb_runtime.venues.orca_whirlpool import OrcaWhirlpoolVenue
from solarb_runtime.venues.registry import VENUES

KINDS = ("raydium-cpmm", "orca-whirlpool", "meteora-dlmm", "phoenix")


class _Counting:
    """Wraps the registry venues' `dependencies`, counting the calls per kind."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: Counter[str] = Counter()
        for venue in VENUES.values():
            original = venue.dependencies

            def counted(primary: RawAccount, _orig: Any = original, _kind: str = venue.kind) -> Any:
                self.calls[_kind] += 1
                return _orig(primary)

            monkeypatch.setattr(venue, "dependencies", counted)


def _universe(pools: int, seed: int) -> tuple[SimMarket, list[Any], MarketState]:
    tokens, specs = graph_universe(24, pools, KINDS, seed)
    sim = SimMarket(tokens, specs, dict(VENUES), default_makers(), seed=seed)
    market = MarketState([(s.kind, s.address) for s in specs])
    market.apply_batch(_encode_all(sim, [s.address for s in specs]), 0)
    return sim, specs, market


@pytest.mark.parametrize("seed", [3, 17])
def test_every_held_dependency_list_is_the_venues_list_for_the_current_bytes(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim, specs, market = _universe(60, seed)
    counting = _Counting(monkeypatch)
    moved = 0
    now = 0
    for batch in _slot_batches(sim, specs, 25):
        now += 400_000_000
        market.apply_batch(batch, now)
        moved += sum(1 for raw in batch if raw.pubkey in set(market.tracked()))
        for spec in specs:
            primary = market.account(spec.address)
            assert primary is not None
            listed = market.accounts_of(spec.address)[1:]
            assert listed == market.venue_of(spec.address).dependencies(primary)
    asked = sum(counting.calls.values()) - len(specs) * 25  # the check above asks too
    # Heads keep the store from asking on most primary updates (a tick or active bin
    # leaving its array, a new bitmap, or new mints ask again).
    assert moved > 200
    assert 0 <= asked < moved / 4


def test_a_venue_outside_the_registry_is_asked_on_every_primary_update(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A venue instance of its own (a test's, a plugin's): the store knows no heads for it.
    own: dict[str, Any] = {
        "orca-whirlpool": OrcaWhirlpoolVenue(),
        "meteora-dlmm": MeteoraDlmmVenue(),
    }
    tokens, specs = graph_universe(12, 30, ("orca-whirlpool", "meteora-dlmm"), 5)
    sim = SimMarket(tokens, specs, own, default_makers(), seed=5)
    market = MarketState([(s.kind, s.address) for s in specs], venues=own)
    market.apply_batch(_encode_all(sim, [s.address for s in specs]), 0)
    calls: Counter[Pubkey] = Counter()
    for venue in own.values():
        original = venue.dependencies

        def counted(primary: RawAccount, _orig: Any = original) -> Any:
            calls[primary.pubkey] += 1
            return _orig(primary)

        monkeypatch.setattr(venue, "dependencies", counted)
    tracked = set(market.tracked())
    changed_primaries: Counter[Pubkey] = Counter()
    last = {s.address: market.account(s.address) for s in specs}
    for batch in _slot_batches(sim, specs, 8):
        market.apply_batch(batch, 1)
        for raw in batch:
            previous = last.get(raw.pubkey)
            if raw.pubkey in tracked and (previous is None or previous.data != raw.data):
                changed_primaries[raw.pubkey] += 1
                last[raw.pubkey] = raw
    assert sum(changed_primaries.values()) > 20
    assert calls == changed_primaries


def test_accounts_are_found_under_any_equal_key_object() -> None:
    # A feed may reuse its Pubkey objects (the sim) or build new ones per update (RPC):
    # the store's by-address shortcut must give the same entry either way.
    sim, specs, market = _universe(12, 9)
    spec = specs[0]
    primary = market.account(spec.address)
    assert primary is not None
    moves = [raw for batch in _slot_batches(sim, specs, 6) for raw in batch]
    now = 1_000
    for i, raw in enumerate(moves):
        now += 1_000
        # Every other update under a fresh, equal key object.
        key = raw.pubkey if i % 2 else Pubkey.from_bytes(bytes(raw.pubkey))
        market.apply(RawAccount(key, raw.owner, raw.data, raw.lamports, raw.slot), now)
        stored = market.account(raw.pubkey)
        if stored is not None:
            assert stored == RawAccount(raw.pubkey, raw.owner, raw.data, raw.lamports, raw.slot)
            assert market.age_ms(raw.pubkey, now) == 0.0
    for spec in specs:
        listed = market.accounts_of(spec.address)[1:]
        primary = market.account(spec.address)
        assert primary is not None
        assert listed == market.venue_of(spec.address).dependencies(primary)


def test_a_pool_declined_while_a_dependency_is_missing_leaves_the_graph() -> None:
    # Two Whirlpools on one pair, 5% apart: an edge. Then one of them stops being native
    # (fee tier index != spacing) in the same update that moves it to tick arrays that
    # have not arrived: it has no state while it waits, and nothing may trade through it.
    tokens, specs = graph_universe(3, 1, ("orca-whirlpool",), 3)
    a, b = specs[0].token_a, specs[0].token_b
    cheap = PoolSpec("orca-whirlpool", derived_key("declined", 1, 0), a, b, 1e6)
    dear = PoolSpec("orca-whirlpool", derived_key("declined", 1, 1), a, b, 1e6)
    makers = default_makers()
    sim = SimMarket(tokens, [cheap], dict(VENUES), makers, seed=3)
    price = sim.fair_price(dear) * 105 / 100
    sim.pools[dear.address] = SimPool(dear, makers[dear.kind].make(dear, price, random.Random(1)))
    market = MarketState([(s.kind, s.address) for s in (cheap, dear)])
    market.apply_batch(_encode_all(sim, [cheap.address, dear.address]), 0)
    sizers = {t.mint: Sizer(1000, 10**12, CostModel(), 50) for t in (a, b)}
    edges = EdgeJoiner(market, [Pair(a.mint, b.mint)], sizers)
    assert edges.on_update([cheap.address, dear.address], 0)  # the edge is there
    raw = market.account(cheap.address)
    assert raw is not None
    data = bytearray(raw.data)
    spacing = struct.unpack_from("<H", data, 41)[0]
    tick = struct.unpack_from("<i", data, 81)[0]
    struct.pack_into("<H", data, 43, spacing + 1)  # fee tier index: adaptive fee
    struct.pack_into("<i", data, 81, tick + 88 * spacing * 4)  # four arrays away
    changed = market.apply_batch([replace(raw, data=bytes(data), slot=raw.slot + 1)], 1)
    assert cheap.address in changed
    assert market.current(cheap.address) is None
    assert market.graph.mints(cheap.address) is None
    assert not [o for o in edges.on_update(changed | {dear.address}, 2) if cheap.address in o.pools]


@pytest.mark.parametrize("python_kind", [None, "meteora-dlmm"])
def test_a_batchs_changed_pools_come_in_address_order(python_kind: str | None) -> None:
    # Native moves come from the store already sorted; pools the Python venues decode
    # (a venue instance outside the registry) join them, and the order must still hold.
    venues: dict[str, Any] = dict(VENUES)
    if python_kind is not None:
        venues[python_kind] = MeteoraDlmmVenue()
    tokens, specs = graph_universe(24, 40, KINDS, 11)
    sim = SimMarket(tokens, specs, dict(VENUES), default_makers(), seed=11)
    market = MarketState([(s.kind, s.address) for s in specs], venues)
    market.apply_batch(_encode_all(sim, [s.address for s in specs]), 0)
    batches = _slot_batches(sim, specs, 10)
    assert batches
    for slot, batch in enumerate(batches, start=1):
        changed = market.apply_batch(batch, slot)
        assert market.ordered(changed) == sorted(changed, key=bytes)
        assert market.ordered(list(changed)) == sorted(changed, key=bytes)
        for pool in changed:
            state = market.current(pool)
            assert state is not None
            native = market.native(pool)
            assert (native is None) == (market.venue_of(pool).kind == python_kind)
