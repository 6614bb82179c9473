"""EdgeJoiner finds fee-aware two-leg edges, and every one it reports is profitable exactly."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from solarb_runtime.strategy.edges import EdgeJoiner, Pair
from solarb_runtime.strategy.route import bind, route_quotes
from solarb_runtime.strategy.sizer import CostModel, Sizer
from tests.unit.fakes import FakeBookState, FakeCpmmState, book, cpmm, feed, key, market_with

U, X = key(900), key(901)


def _joiner(states: Sequence[FakeCpmmState | FakeBookState], fixed: int = 0) -> EdgeJoiner:
    market = market_with(states)
    sizer = Sizer(1_000, 5_000_000, CostModel(fixed=fixed), slippage_bps=30)
    return EdgeJoiner(market, [Pair(U, X)], {U: sizer})


def test_planted_edge_is_found_in_the_right_direction() -> None:
    cheap = cpmm(10, U, X, 10**9, 2 * 10**9)  # 2 X per U
    dear = cpmm(20, X, U, 10**9, int(0.52 * 10**9))  # 1 X sells for 0.52 U
    found = _joiner([cheap, dear]).scan(now_ns=5)
    assert len(found) == 1
    opp = found[0]
    assert [leg.pool for leg in opp.legs] == [cheap.address, dear.address]
    assert opp.kind == "edge"
    assert opp.token == U
    assert opp.ev_pred > 0
    assert opp.detected_ns == 5


def test_equal_prices_with_fees_give_no_edge() -> None:
    a = cpmm(10, U, X, 10**9, 2 * 10**9)
    b = cpmm(20, U, X, 3 * 10**9, 6 * 10**9, fee_ppm=100)
    joiner = _joiner([a, b])
    assert joiner.scan(now_ns=0) == []
    assert joiner.stats.screened_out == 2


def test_costs_can_make_an_edge_not_worth_it() -> None:
    cheap = cpmm(10, U, X, 10**7, 2 * 10**7)
    dear = cpmm(20, X, U, 10**7, int(0.505 * 10**7))
    assert _joiner([cheap, dear]).scan(now_ns=0)
    assert _joiner([cheap, dear], fixed=10**6).scan(now_ns=0) == []


def test_update_only_evaluates_edges_through_the_changed_pool() -> None:
    pools = [cpmm(10 * i, U, X, 10**9, 2 * 10**9) for i in range(1, 5)]
    joiner = _joiner(pools)
    changed = feed(joiner.market, replace(pools[0], reserve_b=int(2.1 * 10**9)))
    found = joiner.on_update(changed, now_ns=1)
    assert joiner.stats.routes_screened == 6  # pool 0 against 3 others, both directions
    assert len(found) == 3
    assert all(opp.legs[0].pool == pools[0].address for opp in found)


def test_amm_against_order_book() -> None:
    amm = cpmm(10, U, X, 10**9, 2 * 10**9)  # X costs ~0.5 U on the AMM
    ob = book(20, X, U, asks=[(Fraction(60, 100), 10**9)], bids=[(Fraction(53, 100), 10**6)])
    found = _joiner([amm, ob]).scan(now_ns=0)
    assert len(found) == 1
    # The book's top bid holds 10^6 X: the best size sells about that much and no more.
    assert found[0].legs[1].amount_in <= 10**6


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_no_reported_edge_is_unprofitable_under_exact_requote(seed: int) -> None:
    rng = random.Random(seed)
    pools = [
        cpmm(
            10 * (i + 1),
            U,
            X,
            rng.randint(10**6, 10**9),
            0,
            fee_ppm=rng.choice([100, 2500, 10_000]),
        )
        for i in range(4)
    ]
    pools = [replace(p, reserve_b=int(p.reserve_a * rng.uniform(1.9, 2.1))) for p in pools]
    joiner = _joiner(pools, fixed=rng.choice([0, 500]))
    for opp in joiner.scan(now_ns=0):
        priced = bind(joiner.market, opp.hops)
        assert priced is not None
        quotes = route_quotes(priced, opp.size)
        assert quotes is not None
        assert [q.amount_out for q in quotes] == [leg.amount_out for leg in opp.legs]
        assert quotes[-1].amount_out - opp.size - opp.costs == opp.ev_pred > 0
        assert all(leg.min_out <= leg.amount_out for leg in opp.legs)
        assert opp.legs[1].amount_in == opp.legs[0].amount_out
