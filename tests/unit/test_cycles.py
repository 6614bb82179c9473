"""CycleSearch enumerates cycles through the anchors, re-evaluates incrementally, re-quotes."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

from solarb_runtime.strategy.cycles import CycleSearch
from solarb_runtime.strategy.route import bind, route_quotes
from solarb_runtime.strategy.sizer import CostModel, Sizer
from tests.unit.fakes import FakeCpmmState, cpmm, feed, key, market_with

U = key(900)
TOKENS = [U, *(key(901 + i) for i in range(5))]


def _search(pools: list[FakeCpmmState], max_hops: int = 3, min_hops: int = 3) -> CycleSearch:
    market = market_with(pools)
    sizer = Sizer(1_000, 10**8, CostModel(), slippage_bps=30)
    return CycleSearch(market, {U: sizer}, max_hops=max_hops, min_hops=min_hops)


def _triangle(gap: float = 1.0) -> list[FakeCpmmState]:
    x, y = TOKENS[1], TOKENS[2]
    return [
        cpmm(10, U, x, 10**9, 2 * 10**9),  # 1 U = 2 X
        cpmm(20, x, y, 2 * 10**9, 3 * 10**9),  # 1 X = 1.5 Y
        cpmm(30, y, U, 3 * 10**9, int(gap * 10**9)),  # 1 Y = gap/3 U
    ]


def test_planted_triangle_is_found_once_in_its_profitable_direction() -> None:
    search = _search(_triangle(gap=1.03))
    found = search.scan(now_ns=0)
    assert search.cycle_count == 2  # both directions of the triangle
    assert len(found) == 1
    opp = found[0]
    assert [leg.mint_in for leg in opp.legs] == [U, TOKENS[1], TOKENS[2]]
    assert opp.kind == "cycle"
    assert opp.ev_pred > 0


def test_fair_triangle_gives_nothing() -> None:
    search = _search(_triangle(gap=1.0))
    assert search.scan(now_ns=0) == []


def test_incremental_update_sums_only_cycles_through_the_changed_pool() -> None:
    pools = [*_triangle(), cpmm(40, TOKENS[3], TOKENS[4], 10**9, 10**9)]
    search = _search(pools)
    search.scan(now_ns=0)
    summed = search.stats.cycles_summed
    changed = feed(search.market, replace(pools[3], reserve_a=2 * 10**9))
    assert search.on_update(changed, now_ns=1) == []
    assert search.stats.cycles_summed == summed  # that pool is on no cycle through U
    changed = feed(search.market, replace(pools[2], reserve_b=int(1.05 * 10**9)))
    found = search.on_update(changed, now_ns=2)
    assert search.stats.cycles_summed == summed + 2
    assert len(found) == 1


def test_new_pool_triggers_re_enumeration() -> None:
    pools = _triangle()
    search = _search(pools[:2])
    search.scan(now_ns=0)
    assert search.cycle_count == 0
    changed = feed(search.market, pools[2])
    assert changed == set()  # untracked by this market: a source must declare its pools
    market = market_with(pools)
    search.market = market
    search.on_update({pools[2].address}, now_ns=1)
    assert search.cycle_count == 2
    assert search.stats.rebuilds == 2


def _random_pools(seed: int, n_pools: int) -> list[FakeCpmmState]:
    rng = random.Random(seed)
    price = {t: rng.uniform(0.5, 2.0) for t in TOKENS}
    pools = []
    for i in range(n_pools):
        a, b = rng.sample(TOKENS, 2)
        ra = rng.randint(10**8, 10**10)
        rb = int(ra * price[a] / price[b] * rng.uniform(0.97, 1.03))
        pools.append(cpmm(10 * (i + 1), a, b, ra, rb, fee_ppm=rng.choice([100, 2500])))
    return pools


def _brute_cycles(
    pools: list[FakeCpmmState], max_hops: int
) -> set[tuple[tuple[Pubkey, Pubkey], ...]]:
    """Every simple cycle U → … → U of 2..max_hops legs, distinct tokens, distinct pools."""
    directed = [(p.address, p.mint_a, p.mint_b) for p in pools]
    directed += [(p.address, p.mint_b, p.mint_a) for p in pools]
    out: set[tuple[tuple[Pubkey, Pubkey], ...]] = set()
    for n in range(2, max_hops + 1):
        for combo in itertools.product(directed, repeat=n):
            tokens = [e[1] for e in combo]
            if tokens[0] != U or combo[-1][2] != U:
                continue
            if any(combo[i][2] != combo[i + 1][1] for i in range(n - 1)):
                continue
            if len(set(tokens)) != n or len({e[0] for e in combo}) != n:
                continue
            out.add(tuple((e[0], e[1]) for e in combo))
    return out


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), max_hops=st.integers(2, 4))
def test_enumeration_matches_brute_force(seed: int, max_hops: int) -> None:
    pools = _random_pools(seed, 9)
    search = _search(pools, max_hops=max_hops, min_hops=2)
    search.rebuild()
    got = {tuple((h.pool, h.mint_in) for h in cycle) for cycle in search.cycles()}
    assert got == _brute_cycles(pools, max_hops)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_no_reported_cycle_is_unprofitable_under_exact_requote(seed: int) -> None:
    search = _search(_random_pools(seed, 14), max_hops=4)
    for opp in search.scan(now_ns=0):
        priced = bind(search.market, opp.hops)
        assert priced is not None
        quotes = route_quotes(priced, opp.size)
        assert quotes is not None
        assert quotes[-1].amount_out - opp.size - opp.costs == opp.ev_pred > 0
        assert opp.legs[0].mint_in == opp.legs[-1].mint_out == U
        assert all(a.mint_out == b.mint_in for a, b in itertools.pairwise(opp.legs))
