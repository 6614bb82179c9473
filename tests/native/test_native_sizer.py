"""The native sizer against the Python `Sizer`: the same size, EV, costs and quotes.

Routes are built from the sim's pools (as tests/unit/test_sizer_venues.py does) over every
venue kind the native core decodes so far; each pool is encoded to its accounts and
decoded natively, so both sizers see the same state. The native `size_route` must return
exactly what `Sizer(...).size(route)` returns, on 2- and 3-leg routes, tiny and deep pools,
with and without fixed costs, a flash fee and a tip share; on tiny pools it must also
match brute force over every size.
"""

from __future__ import annotations

import random
from fractions import Fraction

import solarb_native
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from solarb_runtime.domain.amounts import U64_MAX
from solarb_runtime.domain.opportunity import Hop
from solarb_runtime.sources.sim_makers import CpmmMaker, default_makers, derived_key
from solarb_runtime.sources.sim_market import PoolSpec, SimToken
from solarb_runtime.strategy.route import NativeRoute, PricedHop
from solarb_runtime.strategy.sizer import CostModel, SizedRoute, Sizer
from solarb_runtime.venues.base import PoolState
from solarb_runtime.venues.native import NativePool, native_pool
from solarb_runtime.venues.registry import VENUES

MAKERS = {**default_makers(), "raydium-cpmm-1pct": CpmmMaker(trade_fee_rate=10_000)}
TOKENS = [
    SimToken(name, derived_key("native-sizer-mint", i), 6, 1.0) for i, name in enumerate("ABC")
]
Leg = tuple[NativePool, bool]
Result = tuple[int, int, int, list[tuple[int, int, int, int]]]


def _native(state: PoolState) -> NativePool | None:
    venue = VENUES[state.venue]
    primary, deps = venue.encode(state)
    return native_pool(state.venue, primary, deps, venue.dependencies(primary))


def _ported() -> list[str]:
    """Maker names whose pools the native core decodes (the venue ports land one by one)."""
    rng = random.Random(0)
    out = []
    for name, maker in sorted(MAKERS.items()):
        spec = PoolSpec(maker_kind(name), derived_key("probe", name), TOKENS[0], TOKENS[1], 0.01)
        if _native(maker.make(spec, Fraction(1), rng)) is not None:
            out.append(name)
    return out


def maker_kind(name: str) -> str:
    return name.removesuffix("-1pct")


PORTED = _ported()


def test_a_venue_kind_is_ported() -> None:
    # The CPMM port landed first: the route tests below must have something to size.
    assert "raydium-cpmm" in PORTED


def _pool(
    r: random.Random, name: str, pair: tuple[SimToken, SimToken], depth: float, price: Fraction
) -> tuple[PoolState, NativePool]:
    spec = PoolSpec(maker_kind(name), derived_key("native-sizer", r.random()), *pair, depth)
    state = MAKERS[name].make(spec, price, r)
    pool = _native(state)
    assert pool is not None
    return state, pool


def _route(seed: int, legs: int, tiny: bool) -> tuple[tuple[PricedHop, ...], list[Leg]]:
    """A cycle over A (→ B → C) → A whose first pool prices A dear: usually an edge."""
    r = random.Random(seed)
    names = [r.choice(PORTED) for _ in range(legs)]
    depth = r.uniform(0.002, 0.05) if tiny else 10 ** r.uniform(2, 7)
    skew = Fraction(r.uniform(0.98, 1.15)).limit_denominator(10**6)
    path = [TOKENS[i % len(TOKENS)] for i in range(legs)] + [TOKENS[0]]
    if legs == 2:
        path = [TOKENS[0], TOKENS[1], TOKENS[0]]
    hops: list[PricedHop] = []
    native: list[Leg] = []
    for i, name in enumerate(names):
        t_in, t_out = path[i], path[i + 1]
        # Pools list their tokens in either order; the price is of a in b.
        pair = (t_in, t_out) if r.random() < 0.5 else (t_out, t_in)
        price = skew if i == 0 else Fraction(r.uniform(0.995, 1.005)).limit_denominator(10**6)
        if pair[0] is not t_in:
            price = 1 / price
        state, pool = _pool(r, name, pair, depth * r.uniform(0.5, 2), price)
        hops.append(PricedHop(VENUES[state.venue], state, t_in.mint))
        native.append((pool, t_in.mint == state.mint_a))
    return tuple(hops), native


def _py(sized: SizedRoute | None) -> Result | None:
    if sized is None:
        return None
    quotes = [(q.amount_in, q.amount_out, q.fee, q.steps) for q in sized.quotes]
    return (sized.size, sized.ev, sized.costs, quotes)


def _nat(route: list[Leg], sizer: Sizer, costs: CostModel) -> Result | None:
    flash, tip = costs.flash_fee_bps, costs.tip_share
    return solarb_native.size_route(
        route,
        sizer.min_size,
        sizer.max_size,
        costs.fixed,
        (flash.numerator, flash.denominator),
        (tip.numerator, tip.denominator),
    )


costs_st = st.builds(
    CostModel,
    fixed=st.sampled_from([0, 0, 3, 5_000, -2]),
    flash_fee_bps=st.sampled_from([Fraction(0), Fraction(9), Fraction(5, 2), Fraction(30)]),
    tip_share=st.sampled_from([Fraction(0), Fraction(1, 2), Fraction(1, 3), Fraction(9, 10)]),
)


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    legs=st.sampled_from([2, 2, 3]),
    tiny=st.booleans(),
    costs=costs_st,
    bounds=st.sampled_from([(1, U64_MAX), (1, 5_000), (100, 10**9), (1, 10**12)]),
)
def test_native_size_route_equals_the_python_sizer(
    seed: int, legs: int, tiny: bool, costs: CostModel, bounds: tuple[int, int]
) -> None:
    hops, route = _route(seed, legs, tiny)
    sizer = Sizer(*bounds, costs, slippage_bps=30)
    expected = _py(sizer.size(hops))
    event("sized" if expected is not None else "unsized")
    if expected is not None:
        event("pays" if expected[1] > 0 else "loses")
    assert _nat(route, sizer, costs) == expected


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    legs=st.sampled_from([2, 3]),
    tiny=st.booleans(),
    costs=costs_st,
)
def test_native_size_route_equals_the_python_sizer_on_native_legs(
    seed: int, legs: int, tiny: bool, costs: CostModel
) -> None:
    # The Python algorithm quoting and modelling through the native pools (the engine's
    # `native=False` path): the two sizers then see identical legs, pieces included.
    hops, route = _route(seed, legs, tiny)
    plain = tuple(
        Hop(h.state.venue, h.state.address, h.mint_in, h.state.mint_b if a else h.state.mint_a)
        for h, (_, a) in zip(hops, route, strict=True)
    )
    bound = NativeRoute(plain, tuple(route))
    python = Sizer(1, U64_MAX, costs, slippage_bps=30, native=False)
    native = Sizer(1, U64_MAX, costs, slippage_bps=30)
    assert native.size(bound) == python.size(bound)
    assert _nat(route, python, costs) == _py(python.size(bound))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), costs=costs_st)
# Thin edges the legs' rounding hides near the model's top (a tip share shrinks the EV,
# not the rounding): both sizers once stopped there, a loss or two atoms short.
@example(seed=240, costs=CostModel(0, Fraction(9), Fraction(9, 10)))
@example(seed=1860984902, costs=CostModel(1, Fraction(0), Fraction(9, 10)))
def test_native_sizer_matches_brute_force_on_tiny_pools(seed: int, costs: CostModel) -> None:
    hops, route = _route(seed, 2, tiny=True)
    hi = random.Random(seed).randint(500, 4000)
    sizer = Sizer(1, hi, costs, slippage_bps=30)
    got = _nat(route, sizer, costs)
    evs = [
        costs.ev(x, out)
        for x in range(1, hi + 1)
        if (out := solarb_native.route_out(route, x)) is not None
    ]
    assert got == _py(sizer.size(hops))
    if not evs:
        assert got is None
        return
    assert got is not None
    size, ev, total, quotes = got
    best = max(evs)
    if best >= 0:
        assert ev >= best - 1
    else:
        assert ev < 0
    out = quotes[-1][1]
    assert out == solarb_native.route_out(route, size)
    assert ev == costs.ev(size, out)
    assert total == costs.total(size, out - size)


def test_native_sizer_refuses_what_python_cannot_size() -> None:
    hops, route = _route(7, 2, tiny=False)
    costs = CostModel()
    empty = Sizer(10, 5, costs, slippage_bps=30)  # min above max: nothing in range
    assert empty.size(hops) is None
    assert _nat(route, empty, costs) is None
    sized = Sizer(1, U64_MAX, costs, slippage_bps=30)
    assert _nat(route, sized, costs) == _py(sized.size(hops)) is not None
