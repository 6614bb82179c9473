"""CycleSearch: multi-hop cycles over the token graph of all pools, re-evaluated incrementally.

Cycles start and end in an anchor token (one the wallet holds and a sizer is configured
for) and visit each other token at most once. They are enumerated when the set of pools
changes; each directed pool edge carries the log of its exact rate at a probe size worth
about one minimum trade, refreshed only when that pool changes. An update re-sums the
cycles through the changed pools (an index from pool to cycles); a cycle whose rates
multiply to more than one is re-quoted exactly at the anchor's minimum size and, if it
still returns more than it took, sized exactly. Only exact quotes make an opportunity.

The engine calls `on_update` once per account batch with every pool the batch changed, so
a cycle is summed, bound and re-quoted at most once per batch however many of its pools
moved. A pool whose state object is the one its rates were quoted on (nothing new) costs
nothing, and the exact re-quotes of one evaluation share the legs their cycles have in
common (same edges from the anchor, same amounts: the same exact outputs).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import solarb_native
from solders.pubkey import Pubkey

from solarb_runtime.domain.amounts import U64_MAX
from solarb_runtime.domain.opportunity import Hop, Opportunity
from solarb_runtime.market.state import GraphEdge, MarketState
from solarb_runtime.strategy.candidate import RouteForm, sized_opportunity
from solarb_runtime.strategy.route import (
    QUOTE_FAILURES,
    NativeRoute,
    Route,
    bind,
    leg_out,
    route_out,
)
from solarb_runtime.strategy.sizer import NativeSized, Sizer

_NO_RATE = -math.inf
# `CycleBook.size` verdicts.
_NOT_NATIVE, _REJECTED = -1, 0
# Up to this many cycles, every cycle's `RouteForm` is built with the cycles (~1 KB each);
# past it, each is built when its cycle is first found.
_FORMS_AHEAD_MAX = 50_000


@dataclass(slots=True)
class CycleStats:
    """Counters for the view and the bench."""

    cycles: int = 0
    rebuilds: int = 0
    rates_refreshed: int = 0
    pools_unchanged: int = 0
    cycles_summed: int = 0
    requoted: int = 0
    requote_rejected: int = 0
    unprofitable: int = 0
    found: int = 0


class CycleSearch:
    """Cycles of `min_hops`..`max_hops` legs through the anchors of `sizers`."""

    def __init__(
        self,
        market: MarketState,
        sizers: Mapping[Pubkey, Sizer],
        *,
        max_hops: int = 3,
        min_hops: int = 3,
    ) -> None:
        if not 2 <= min_hops <= max_hops:
            raise ValueError(f"need 2 <= min_hops <= max_hops, got {min_hops}, {max_hops}")
        self.market = market
        self.sizers = sizers
        self.max_hops = max_hops
        self.min_hops = min_hops
        self.stats = CycleStats()
        self._edges: list[Hop] = []
        self._edge_ids: dict[tuple[Pubkey, Pubkey], int] = {}
        self._cycles: list[tuple[int, ...]] = []
        self._probe: dict[Pubkey, int] = {}
        # Rates and sums live in the native book, pools by index (`_pool_index`, and
        # back: `_pool_keys`). The book reads native states from the market's account
        # store itself and re-rates a pool only when its state object is a new one.
        self._pool_index: dict[Pubkey, int] = {}
        self._pool_keys: list[Pubkey] = []
        self._book = solarb_native.CycleBook(0, [], [])
        # The same for the pools only the Python venues quote: the state their edge
        # rates were quoted on.
        self._rated: dict[Pubkey, object] = {}
        self._pool_edges: dict[Pubkey, list[int]] = {}
        self._known_version = -1
        # Per cycle id, once found: what its opportunities take from the route alone.
        self._forms: dict[int, RouteForm] = {}

    # -- structure ---------------------------------------------------------------------

    def rebuild(self) -> None:
        """Re-enumerate edges, probe sizes and cycles from the market's token graph."""
        graph = self.market.graph
        self._edges, self._edge_ids, self._cycles = [], {}, []
        self._forms = {}
        self._pool_edges, self._pool_index = {}, {}
        for token in graph.tokens():
            for e in graph.edges_from(token):
                self._pool_index.setdefault(e.pool, len(self._pool_index))
                self._pool_edges.setdefault(e.pool, []).append(len(self._edges))
                self._edge_ids[(e.pool, e.mint_in)] = len(self._edges)
                self._edges.append(Hop(e.venue, e.pool, e.mint_in, e.mint_out))
        self._probe = self._probe_sizes()
        for anchor in self.sizers:
            self._enumerate(anchor)
        index = self._pool_index
        edges = []
        for hop in self._edges:
            a_to_b = graph.sells_a(hop.pool, hop.mint_in)
            probe = self._probe.get(hop.mint_in)
            # A probe past u64 cannot be quoted: no rate, as the venues refuse it.
            edges.append((index[hop.pool], a_to_b, probe if probe and probe <= U64_MAX else None))
        self._book = solarb_native.CycleBook(len(index), edges, self._cycles)
        self._pool_keys = list(index)  # in index order: insertion order
        self._book.link(*self.market.store_link(self._pool_keys))
        if len(self._cycles) <= _FORMS_AHEAD_MAX:
            # Built now, not when a cycle is first found: that moment is a decision's.
            for cid in range(len(self._cycles)):
                self._form(cid)
        self._refresh_all()
        self._known_version = graph.version
        self.stats.cycles = len(self._cycles)
        self.stats.rebuilds += 1

    def _enumerate(self, anchor: Pubkey) -> None:
        graph = self.market.graph
        ids = self._edge_ids
        path: list[int] = []
        visited = {anchor}

        def extend(token: Pubkey) -> None:
            for e in graph.edges_from(token):
                eid = ids[(e.pool, e.mint_in)]
                if e.mint_out == anchor:
                    if len(path) + 1 >= self.min_hops and not self._reuses_pool(path, e):
                        self._cycles.append((*path, eid))
                    continue
                if e.mint_out in visited or len(path) + 2 > self.max_hops:
                    continue
                visited.add(e.mint_out)
                path.append(eid)
                extend(e.mint_out)
                path.pop()
                visited.discard(e.mint_out)

        extend(anchor)

    def _reuses_pool(self, path: list[int], edge: GraphEdge) -> bool:
        return any(self._edges[e].pool == edge.pool for e in path)

    def _probe_sizes(self) -> dict[Pubkey, int]:
        """Atoms of each token worth about one minimum trade of an anchor (via mid prices)."""
        probe: dict[Pubkey, float] = {a: float(s.min_size) for a, s in self.sizers.items()}
        frontier = list(probe)
        graph = self.market.graph
        while frontier:
            nxt: list[Pubkey] = []
            for token in frontier:
                for e in graph.edges_from(token):
                    if e.mint_out in probe:
                        continue
                    state = self.market.pool(e.pool)
                    if state is None:
                        continue
                    mid = float(self.market.venue_of(e.pool).mid_price(state))
                    if mid <= 0:
                        continue
                    rate = mid if e.mint_in == state.mint_a else 1 / mid
                    probe[e.mint_out] = probe[token] * rate
                    nxt.append(e.mint_out)
            frontier = nxt
        return {t: max(1, int(v)) for t, v in probe.items()}

    def _refresh_all(self) -> None:
        """Re-rate every edge on its pool's current state."""
        self._rated = {}
        python, _, refreshed = self._book.advance(range(len(self._pool_keys)), True)
        keys, market = self._pool_keys, self.market
        self._rate_in_python([(i, market.current(keys[i])) for i in python])
        self.stats.rates_refreshed += refreshed

    def _advance(self, changed: list[Pubkey]) -> list[int]:
        """Re-rate the edges of the changed pools whose state is new (natively, in the
        book); the pools only the Python venues quote that were re-rated."""
        index = self._pool_index
        python, unchanged, refreshed = self._book.advance(
            [i for p in changed if (i := index.get(p)) is not None], False
        )
        stats = self.stats
        stats.pools_unchanged += unchanged
        stats.rates_refreshed += refreshed
        if not python:
            return []
        keys, rated, market = self._pool_keys, self._rated, self.market
        moved: list[tuple[int, object | None]] = []
        for i in python:
            state = market.current(keys[i])
            if state is None:
                continue  # dropped: it left the graph, so the cycles are rebuilt
            if rated.get(keys[i]) is state:
                stats.pools_unchanged += 1
                continue
            moved.append((i, state))
        self._rate_in_python(moved)
        return [i for i, _ in moved]

    def _rate_in_python(self, pools: list[tuple[int, object | None]]) -> None:
        """Rate the edges of pools the book holds no native state for, each on its
        current state (None: no rate) with the Python venues."""
        book, keys, rated, pool_edges = self._book, self._pool_keys, self._rated, self._pool_edges
        book.set_pools([(i, None) for i, _ in pools])
        for i, state in pools:
            pool = keys[i]
            if state is not None:
                rated[pool] = state
            for eid in pool_edges[pool]:
                book.set_rate(eid, self._python_rate(eid))
            self.stats.rates_refreshed += len(pool_edges[pool])

    def _python_rate(self, eid: int) -> float:
        """`CycleBook`'s rate for an edge of a pool only the Python venues quote."""
        hop = self._edges[eid]
        probe = self._probe.get(hop.mint_in)
        if probe is not None:
            out = self._probe_out(hop, probe)
            if out:
                return math.log(out / probe)
        return _NO_RATE

    def _probe_out(self, hop: Hop, probe: int) -> int | None:
        """The edge's exact output for `probe` atoms in (None: no state, or refused)."""
        market = self.market
        state = market.pool(hop.pool)
        if state is None:
            return None
        try:
            return market.venue_of(hop.pool).quote_exact_in(state, hop.mint_in, probe).amount_out
        except QUOTE_FAILURES:
            return None

    # -- evaluation --------------------------------------------------------------------

    def on_update(self, changed: Iterable[Pubkey], now_ns: int) -> list[Opportunity]:
        """Re-evaluate only the cycles through pools that changed."""
        return list(self.stream(changed, now_ns))

    def stream(self, changed: Iterable[Pubkey], now_ns: int) -> Iterator[Opportunity]:
        """`on_update`, each opportunity as soon as it is built (rates are refreshed and
        cycles re-summed before the first)."""
        changed = list(changed)
        if self.market.graph.version != self._known_version:
            self.rebuild()  # New or removed pools: the cycle set itself changed.
            hot, summed = self._book.hot(None)
            return self._evaluate(hot, summed, now_ns)
        hot, summed = self._book.hot(self._advance(changed))
        return self._evaluate(hot, summed, now_ns)

    def scan(self, now_ns: int, *, refresh: bool = False) -> list[Opportunity]:
        """Sum every cycle (optionally re-quoting every edge's rate first)."""
        if self.market.graph.version != self._known_version:
            self.rebuild()
        elif refresh:
            self._refresh_all()
        hot, summed = self._book.hot(None)
        return list(self._evaluate(hot, summed, now_ns))

    def _evaluate(self, hot: list[int], summed: int, now_ns: int) -> Iterator[Opportunity]:
        """Re-quote the cycles whose probe rates multiply to more than one, and size them."""
        stats = self.stats
        stats.cycles_summed += summed
        legs: dict[tuple[int, ...], int | None] = {}
        forms, sizers = self._forms, self.sizers
        only = next(iter(sizers.values())) if len(sizers) == 1 else None
        for cid, (verdict, sized) in zip(hot, self._size_natively(hot), strict=True):
            if verdict == _NOT_NATIVE:
                opp = self._requote(cid, now_ns, legs)
                if opp is not None:
                    yield opp
                continue
            stats.requoted += 1
            if verdict == _REJECTED:
                stats.requote_rejected += 1
                continue
            if sized is None:
                stats.unprofitable += 1
                continue
            stats.found += 1
            form = forms.get(cid) or self._form(cid)
            slippage = (only or sizers[form.token]).slippage_bps
            yield form.from_native(sized, slippage, slot=self.market.slot, now_ns=now_ns)

    def _size_natively(self, hot: list[int]) -> list[tuple[int, NativeSized | None]]:
        """`CycleBook.size` per anchor's sizer: the native `_requote` of every cycle whose
        pools are all native (the rest come back as not native)."""
        if len(self.sizers) == 1:  # one anchor (the common case): no grouping
            sizer = next(iter(self.sizers.values()))
            if not sizer.native:
                return [(_NOT_NATIVE, None)] * len(hot)
            return self._book.size(hot, sizer.min_size, sizer.max_size, *sizer.native_costs())
        out: list[tuple[int, NativeSized | None]] = [(_NOT_NATIVE, None)] * len(hot)
        by_anchor: dict[Pubkey, list[int]] = {}
        for i, cid in enumerate(hot):
            by_anchor.setdefault(self._edges[self._cycles[cid][0]].mint_in, []).append(i)
        for anchor, positions in by_anchor.items():
            sizer = self.sizers[anchor]
            if not sizer.native:
                continue
            got = self._book.size(
                [hot[i] for i in positions], sizer.min_size, sizer.max_size, *sizer.native_costs()
            )
            for i, result in zip(positions, got, strict=True):
                out[i] = result
        return out

    def _requote(
        self, cid: int, now_ns: int, legs: dict[tuple[int, ...], int | None]
    ) -> Opportunity | None:
        stats = self.stats
        stats.requoted += 1
        cycle = self._cycles[cid]
        hops = tuple(self._edges[e] for e in cycle)
        sizer = self.sizers[hops[0].mint_in]
        priced = bind(self.market, hops)
        if priced is None:
            stats.requote_rejected += 1
            return None
        out = _shared_route_out(cycle, priced, sizer.min_size, legs)
        if out is None or out <= sizer.min_size:
            stats.requote_rejected += 1
            return None
        opp = sized_opportunity(
            self._form(cid), sizer, priced, slot=self.market.slot, now_ns=now_ns
        )
        if opp is None:
            stats.unprofitable += 1
            return None
        stats.found += 1
        return opp

    def _form(self, cid: int) -> RouteForm:
        """Cycle `cid`'s `RouteForm` (built once per enumeration)."""
        form = self._forms.get(cid)
        if form is None:
            hops = [self._edges[e] for e in self._cycles[cid]]
            form = self._forms[cid] = RouteForm("cycle", hops)
        return form

    @property
    def cycle_count(self) -> int:
        return len(self._cycles)

    def cycles(self) -> list[tuple[Hop, ...]]:
        return [tuple(self._edges[e] for e in c) for c in self._cycles]


def _shared_route_out(
    cycle: tuple[int, ...],
    route: Route,
    amount_in: int,
    legs: dict[tuple[int, ...], int | None],
) -> int | None:
    """`route_out(route, amount_in)`, reusing the outputs of prefixes quoted before.

    `legs` maps an edge-id prefix to its exact output for `amount_in` (None: a leg refused)
    within one evaluation, where every state is fixed and every cycle of an anchor starts
    with the same amount, so a shared prefix has the same exact output.
    """
    if isinstance(route, NativeRoute):
        # Native legs cost less than the prefix lookups that would share them.
        return route_out(route, amount_in)
    amount: int | None = amount_in
    for i in range(len(cycle)):
        prefix = cycle[: i + 1]
        if prefix in legs:
            amount = legs[prefix]
        else:
            assert amount is not None
            amount = legs[prefix] = leg_out(route, i, amount)
        if amount is None:
            return None
    return amount
