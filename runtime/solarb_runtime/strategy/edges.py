"""EdgeJoiner: two-leg cross-venue edges on a pair (AMM↔AMM, AMM↔order book).

For a pair (base, quote) an edge buys base on one pool with the start token and sells it
back on another. Each candidate route is screened with one exact route quote at the
smallest size (fees, rounding and the book spread included, so the screen is fee aware);
a route that does not return more than it took at that size cannot at any larger size,
because a route's output per unit falls as it grows. Survivors are sized exactly.

The engine calls `on_update` once per account batch with every pool the batch changed:
each route is screened once however many of its pools moved. Routes whose pools the native
core holds are screened in one native call (`CycleBook.screen`, the routes as 2-leg
cycles), and each survivor is sized in the same book, one at a time so the first decision
waits for one sizing. The others are screened on the Python venues, where the screen's
first leg (buying at the smallest size) is quoted once per pool, not once per route
through it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import solarb_native
from solders.pubkey import Pubkey

from solarb_runtime.domain.opportunity import Hop, Opportunity
from solarb_runtime.market.state import MarketState
from solarb_runtime.strategy.candidate import RouteForm, sized_opportunity
from solarb_runtime.strategy.route import BoundRoute, bind, leg_out
from solarb_runtime.strategy.sizer import NativeSized, Sizer

# The native screen's verdicts (`CycleBook.screen`): no native verdict (a route with a
# Python pool: screened in Python), screened out, passed; and `CycleBook.size`'s sized.
_NOT_NATIVE, _SCREENED_OUT, _PASSED, _SIZED = -1, 0, 1, 2


@dataclass(frozen=True, slots=True)
class Pair:
    """A traded pair; edges start and end in `start` (the token the wallet holds)."""

    start: Pubkey
    other: Pubkey


@dataclass(slots=True)
class EdgeStats:
    """Counters for the view and the bench."""

    routes_screened: int = 0
    screened_out: int = 0
    sized: int = 0
    unprofitable: int = 0
    found: int = 0


class EdgeJoiner:
    """Finds two-leg edges on the configured pairs among the pools the market holds."""

    def __init__(
        self,
        market: MarketState,
        pairs: Sequence[Pair],
        sizers: Mapping[Pubkey, Sizer],
    ) -> None:
        self.market = market
        self.pairs = tuple(pairs)
        self.sizers = sizers
        self.stats = EdgeStats()
        # Routes change only with the set of pools: built once per graph version, as one
        # object per route, so an update's routes are gathered and de-duplicated by identity.
        self._version = -1
        self._through: dict[Pubkey, list[tuple[Hop, Hop]]] = {}
        self._routes: dict[tuple[Pubkey, Pubkey], tuple[Hop, Hop]] = {}
        # The native screen: every route as a 2-leg cycle, pools by index.
        self._book = solarb_native.CycleBook(0, [], [])
        self._route_ids: dict[int, int] = {}
        self._pool_index: dict[Pubkey, int] = {}
        # Per route of this graph version (by identity), once found: its `RouteForm`.
        self._forms: dict[int, RouteForm] = {}

    def _refresh_routes(self) -> None:
        """Rebuild the routes and their native book when the set of pools changed."""
        if self._version == self.market.graph.version:
            return
        self._version = self.market.graph.version
        self._through, self._routes = {}, {}
        routes = self.all_routes()
        index: dict[Pubkey, int] = {}
        edge_ids: dict[tuple[Pubkey, Pubkey], int] = {}
        edges: list[tuple[int, bool, int | None]] = []
        cycles: list[list[int]] = []
        for route in routes:
            cycle = []
            for hop in route:
                key = (hop.pool, hop.mint_in)
                if key not in edge_ids:
                    edge_ids[key] = len(edges)
                    a_to_b = self.market.graph.sells_a(hop.pool, hop.mint_in)
                    edges.append((index.setdefault(hop.pool, len(index)), a_to_b, None))
                cycle.append(edge_ids[key])
            cycles.append(cycle)
        self._book = solarb_native.CycleBook(len(index), edges, cycles)
        self._route_ids = {id(route): i for i, route in enumerate(routes)}
        self._forms = {}
        self._pool_index = index
        self._hold(list(index))

    def _hold(self, pools: Iterable[Pubkey]) -> None:
        """Give the native book the current native state of `pools` (None: Python's);
        each must be in `_pool_index`."""
        index, market = self._pool_index, self.market
        self._book.set_pools([(index[p], market.native(p)) for p in pools])

    def routes_through(self, pool: Pubkey) -> list[tuple[Hop, Hop]]:
        """Both directions of every edge that uses `pool` on a configured pair."""
        self._refresh_routes()
        routes = self._through.get(pool)
        if routes is None:
            routes = self._through[pool] = self._routes_through(pool)
        return routes

    def _routes_through(self, pool: Pubkey) -> list[tuple[Hop, Hop]]:
        pool_mints = self.market.graph.mints(pool)
        if pool_mints is None:
            return []
        mints = set(pool_mints)
        out: list[tuple[Hop, Hop]] = []
        for pair in self.pairs:
            if mints == {pair.start, pair.other}:
                for other in self._pair_pools(pair):
                    if other != pool:
                        out.append(self._route(pair, pool, other))
                        out.append(self._route(pair, other, pool))
        return out

    def all_routes(self) -> list[tuple[Hop, Hop]]:
        out: list[tuple[Hop, Hop]] = []
        for pair in self.pairs:
            pools = self._pair_pools(pair)
            out.extend(self._route(pair, p, q) for p in pools for q in pools if p != q)
        return out

    def _pair_pools(self, pair: Pair) -> list[Pubkey]:
        return self.market.graph.pools_between(pair.start, pair.other)

    def _route(self, pair: Pair, buy: Pubkey, sell: Pubkey) -> tuple[Hop, Hop]:
        route = self._routes.get((buy, sell))
        if route is None:
            m = self.market
            route = self._routes[(buy, sell)] = (
                Hop(m.venue_of(buy).kind, buy, pair.start, pair.other),
                Hop(m.venue_of(sell).kind, sell, pair.other, pair.start),
            )
        return route

    def on_update(self, changed: Iterable[Pubkey], now_ns: int) -> list[Opportunity]:
        """Edges touching the pools that changed, sized; only those with EV > 0 after costs."""
        return list(self.stream(changed, now_ns))

    def stream(self, changed: Iterable[Pubkey], now_ns: int) -> Iterator[Opportunity]:
        """`on_update`, each opportunity as soon as it is sized."""
        # A dict keeps the first-seen order (replays decide identically) and drops repeats
        # (one object per route: keyed by identity, no hashing of hops).
        self._refresh_routes()
        # Only pools on a configured pair have routes (`_pool_index` holds them all).
        index = self._pool_index
        changed = [p for p in changed if p in index]
        self._hold(changed)
        routes: dict[int, tuple[Hop, Hop]] = {}
        through = self._through
        for pool in changed:
            known = through.get(pool)
            for route in self.routes_through(pool) if known is None else known:
                routes.setdefault(id(route), route)
        return self._evaluate(list(routes.values()), now_ns)

    def scan(self, now_ns: int) -> list[Opportunity]:
        """Every edge on every pair."""
        self._refresh_routes()
        self._hold(list(self._pool_index))
        return self.evaluate(self.all_routes(), now_ns)

    def _screen(self, routes: Sequence[tuple[Hop, Hop]]) -> list[int]:
        """Per route, the native screen's verdict: 1 pass, 0 fail, -1 not native (the
        routes must be this graph version's objects; others count as not native)."""
        verdicts = [_NOT_NATIVE] * len(routes)
        ids = self._route_ids
        by_token: dict[Pubkey, list[int]] = {}
        for i, route in enumerate(routes):
            if id(route) in ids:
                by_token.setdefault(route[0].mint_in, []).append(i)
        for token, positions in by_token.items():
            sizer = self.sizers.get(token)
            if sizer is None:
                continue
            got = self._book.screen([ids[id(routes[i])] for i in positions], sizer.min_size)
            for i, verdict in zip(positions, got, strict=True):
                verdicts[i] = verdict
        return verdicts

    def _size_natively(self, route: tuple[Hop, Hop], sizer: Sizer) -> NativeSized | None:
        """A screened native route sized in the native book (None: no positive EV)."""
        [(verdict, sized)] = self._book.size(
            [self._route_ids[id(route)]], sizer.min_size, sizer.max_size, *sizer.native_costs()
        )
        return sized if verdict == _SIZED else None

    def evaluate(self, routes: Sequence[tuple[Hop, Hop]], now_ns: int) -> list[Opportunity]:
        return list(self._evaluate(routes, now_ns))

    def _evaluate(self, routes: Sequence[tuple[Hop, Hop]], now_ns: int) -> Iterator[Opportunity]:
        stats = self.stats
        # Exact output of each first leg at the smallest size: shared by every route that
        # starts with that leg (states are fixed during one evaluation).
        first: dict[tuple[Pubkey, Pubkey], int | None] = {}
        for hops, verdict in zip(routes, self._screen(routes), strict=True):
            sizer = self.sizers.get(hops[0].mint_in)
            if sizer is None:
                continue
            if verdict == _SCREENED_OUT:
                stats.routes_screened += 1
                stats.screened_out += 1
                continue
            if verdict == _PASSED and sizer.native:
                # Sized one route at a time, so the first decision waits for one sizing.
                stats.routes_screened += 1
                stats.sized += 1
                sized = self._size_natively(hops, sizer)
                if sized is None:
                    stats.unprofitable += 1
                    continue
                stats.found += 1
                form = self._form(hops)
                yield form.from_native(
                    sized, sizer.slippage_bps, slot=self.market.slot, now_ns=now_ns
                )
                continue
            priced = bind(self.market, hops)
            if priced is None:
                continue
            stats.routes_screened += 1
            if verdict == _NOT_NATIVE and not self._passes(priced, hops, sizer.min_size, first):
                stats.screened_out += 1
                continue
            stats.sized += 1
            opp = sized_opportunity(
                self._form(hops), sizer, priced, slot=self.market.slot, now_ns=now_ns
            )
            if opp is None:
                stats.unprofitable += 1
                continue
            stats.found += 1
            yield opp

    def _form(self, route: tuple[Hop, Hop]) -> RouteForm:
        """`route`'s `RouteForm`: kept for this graph version's route objects (others are
        a caller's own and get a fresh one)."""
        key = id(route)
        form = self._forms.get(key)
        if form is None:
            form = RouteForm("edge", route)
            if key in self._route_ids:
                self._forms[key] = form
        return form

    @staticmethod
    def _passes(
        priced: BoundRoute,
        hops: tuple[Hop, Hop],
        amount: int,
        first: dict[tuple[Pubkey, Pubkey], int | None],
    ) -> bool:
        """The screen on the Python venues: more out than `amount` in, exactly."""
        leg = (hops[0].pool, hops[0].mint_in)
        if leg not in first:
            first[leg] = leg_out(priced, 0, amount)
        bought = first[leg]
        out = None if bought is None else leg_out(priced, 1, bought)
        return out is not None and out > amount
