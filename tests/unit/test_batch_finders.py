"""The finders' per-batch shortcuts change nothing they find, and skip what did not move."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solarb_runtime.domain.opportunity import Hop, Opportunity
from solarb_runtime.strategy import cycles as cycles_module
from solarb_runtime.strategy.candidate import opportunity_from
from solarb_runtime.strategy.cycles import CycleSearch
from solarb_runtime.strategy.edges import EdgeJoiner, Pair
from solarb_runtime.strategy.route import PricedHop, bind, route_out
from solarb_runtime.strategy.sizer import CostModel, Sizer
from tests.unit.fakes import FakeCpmmState, cpmm, feed, key, market_with

U = key(900)
TOKENS = [U, *(key(901 + i) for i in range(4))]


def _random_pools(seed: int, n: int) -> list[FakeCpmmState]:
    """Pools between random token pairs at prices a few percent apart (some cycles pay)."""
    rng = random.Random(seed)
    price = {t: rng.uniform(0.5, 2.0) for t in TOKENS}
    pools: list[FakeCpmmState] = []
    for i in range(n):
        a, b = rng.sample(TOKENS, 2)
        depth = rng.randrange(10**8, 10**10)
        skew = rng.uniform(0.95, 1.05)
        pools.append(
            cpmm(
                10 * (i + 1),
                a,
                b,
                depth,
                int(depth * price[a] / price[b] * skew),
                fee_ppm=rng.choice((100, 2500)),
            )
        )
    return pools


def _sizer() -> Sizer:
    return Sizer(10_000, 10**8, CostModel(), slippage_bps=30)


def _ids(found: Sequence[Opportunity]) -> list[tuple[str, int, int]]:
    return [(o.id, o.size, o.ev_pred) for o in found]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_shared_prefix_requotes_find_exactly_what_plain_route_quotes_find(seed: int) -> None:
    pools = _random_pools(seed, 12)
    market = market_with(pools)
    shared = CycleSearch(market, {U: _sizer()}).scan(0)

    def plain(
        cycle: tuple[int, ...],
        route: tuple[PricedHop, ...],
        amount_in: int,
        legs: dict[tuple[int, ...], int | None],
    ) -> int | None:
        return route_out(route, amount_in)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cycles_module, "_shared_route_out", plain)
        reference = CycleSearch(market_with(pools), {U: _sizer()}).scan(0)
    assert _ids(shared) == _ids(reference)


def test_a_pool_whose_state_object_did_not_change_costs_nothing() -> None:
    pools = _random_pools(3, 10)
    search = CycleSearch(market_with(pools), {U: _sizer()})
    search.scan(0)
    moved = [p for p in pools if search.market.pool(p.address) is not None][:2]
    changed = set()
    for pool in moved:
        changed |= feed(search.market, replace(pool, reserve_a=pool.reserve_a + 12_345))
    assert changed == {p.address for p in moved}
    refreshed, summed = search.stats.rates_refreshed, search.stats.cycles_summed
    search.on_update(sorted(changed, key=bytes), 1)
    assert search.stats.rates_refreshed == refreshed + 4  # two directions per moved pool
    addresses = {p.address for p in moved}
    cycles_through = [c for c in search.cycles() if any(h.pool in addresses for h in c)]
    assert search.stats.cycles_summed == summed + len(cycles_through)
    # The same pools again with the same state objects: nothing to refresh or re-sum.
    refreshed, summed = search.stats.rates_refreshed, search.stats.cycles_summed
    assert search.on_update(sorted(changed, key=bytes), 2) == []
    assert search.stats.rates_refreshed == refreshed
    assert search.stats.cycles_summed == summed
    assert search.stats.pools_unchanged == 2


def _reference_edges(joiner: EdgeJoiner, now_ns: int) -> list[Opportunity]:
    """What EdgeJoiner finds, written plainly: every route screened with `route_out`."""
    found: list[Opportunity] = []
    for hops in joiner.all_routes():
        sizer = joiner.sizers[hops[0].mint_in]
        priced = bind(joiner.market, hops)
        assert priced is not None
        out = route_out(priced, sizer.min_size)
        if out is None or out <= sizer.min_size:
            continue
        sized = sizer.size(priced)
        if sized is not None and sized.ev > 0:
            route: tuple[Hop, ...] = hops
            found.append(
                opportunity_from("edge", route, sized, slot=joiner.market.slot, now_ns=now_ns)
            )
    return found


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_edge_screen_with_shared_first_legs_finds_what_plain_route_quotes_find(seed: int) -> None:
    rng = random.Random(seed)
    x = TOKENS[1]
    pools = [
        cpmm(
            10 * (i + 1),
            *((U, x) if rng.random() < 0.5 else (x, U)),
            10**9,
            int(10**9 * rng.uniform(0.97, 1.03)),
            fee_ppm=rng.choice((100, 2500)),
        )
        for i in range(5)
    ]
    joiner = EdgeJoiner(market_with(pools), [Pair(U, x)], {U: _sizer()})
    assert _ids(joiner.scan(7)) == _ids(_reference_edges(joiner, 7))
