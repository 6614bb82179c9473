"""`solarb bench engine`: the engine's hot path measured on the sim's real account bytes.

Three measurements, each with a per-stage breakdown:

* pair: one pair over every venue kind (the `sol-usdc` example's shape), the sim run as
  fast as possible through the whole engine, one account batch per slot; tick→decision
  latency per batch that produced a decision (arrival → its first decision), and over
  every decision.
* graph: a 1,000-pool / 300-token universe. Full cycle scan (every pool changed); then,
  after five warm-up slots (first-sight costs per route), the market's per-slot batches
  (made by the sim three slots ahead, not timed) through `apply_batch` + one incremental
  re-evaluation each (accounts/s, batches/s, re-evaluation time per batch), and the same
  kind of moves applied one account at a time (the single-update re-evaluation figure),
  on one core. As in `Engine.run`, the cyclic GC runs between batches, never inside one.
  The sizer is timed on its own, so "without sizing" is decode + scan.
* RSS of the process at the end.

`profile` (a `cProfile.Profile`) is switched on around the measured loops only.

Figures are measured, never asserted: the issue's goals are printed next to them.
"""

from __future__ import annotations

import cProfile
import gc
import random
import resource
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from solders.pubkey import Pubkey

from solarb_runtime.commands.assembly import build_executor
from solarb_runtime.commands.parts import Finders
from solarb_runtime.config import StrategyConfig, parse_config
from solarb_runtime.domain.account import RawAccount
from solarb_runtime.engine import Engine, JournalSink, collect_due_garbage, percentile
from solarb_runtime.market.state import MarketState
from solarb_runtime.risk.abort import AbortMonitor
from solarb_runtime.risk.guards import GuardLimits, Guards, abort_limits
from solarb_runtime.sources.base import PoolRef, Source, SourceEvent
from solarb_runtime.sources.sim import CORE_TOKENS, KNOWN_PRICES, SimSource
from solarb_runtime.sources.sim_makers import default_makers, derived_key
from solarb_runtime.sources.sim_market import PoolSpec, SimMarket, SimToken
from solarb_runtime.strategy.cycles import CycleSearch
from solarb_runtime.strategy.route import NativeRoute, Route
from solarb_runtime.strategy.sizer import NativeSized, SizedRoute, Sizer
from solarb_runtime.telemetry.tracing import TRACER_OFF, OpportunityTracer
from solarb_runtime.venues.base import Venue
from solarb_runtime.venues.registry import VENUES

_T = TypeVar("_T")

GOALS = {
    "tick_to_decision_p99_us": 250.0,
    "updates_per_s": 100_000.0,
    "full_scan_ms": 20.0,
    "incremental_scan_ms": 1.0,
    "rss_mb": 300.0,
}


def pair_config(seed: int = 11, max_hops: int = 2) -> StrategyConfig:
    """SOL/USDC on the four venue kinds, paper mode, sim source (the example's shape)."""
    kinds = ("raydium-cpmm", "orca-whirlpool", "meteora-dlmm", "phoenix")
    sol, usdc = CORE_TOKENS["SOL"], CORE_TOKENS["USDC"]
    return parse_config(
        {
            "name": "bench",
            "mode": "paper",
            "tokens": {
                "SOL": {"mint": sol[0], "decimals": sol[1]},
                "USDC": {"mint": usdc[0], "decimals": usdc[1]},
            },
            "pairs": [{"base": "SOL", "quote": "USDC"}],
            "venues": [{"name": k, "kind": k} for k in kinds],
            "source": {"sim": {"seed": seed, "extra_tokens": 0}},
            "thresholds": {"max_hops": max_hops},
            "sizing": {"base_size": 10, "max_size": 2000},
            "guards": {"max_notional_per_trade": 2000, "max_tps": 1000, "dedupe_ttl_ms": 0},
            "journal": {"dir": "/dev/null", "fsync": "never"},
        }
    )


class NullJournal:
    """Counts records and keeps none: the bench measures the decision, not the disk."""

    def __init__(self) -> None:
        self.records = 0

    def write(self, kind: str, doc: dict[str, object]) -> None:
        self.records += 1


@dataclass(slots=True)
class PairResult:
    slots: int
    events: int
    batches: int
    account_updates: int
    opportunities: int
    # Tick->decision per batch that produced a decision: arrival to its first decision.
    batches_decided: int
    p50_us: float
    p99_us: float
    # The same over every decision (later decisions of a batch wait for the earlier ones).
    decision_p50_us: float
    decision_p99_us: float
    stages_us_per_update: dict[str, float]
    stages_us_per_batch: dict[str, float]
    wall_s: float


def paper_engine(
    cfg: StrategyConfig,
    source: SimSource,
    journal: JournalSink,
    *,
    native: bool = True,
    tracer: OpportunityTracer = TRACER_OFF,
) -> Engine:
    """The real finders, guards and paper executor over the pools `source` delivers."""
    pools = [(p.kind, p.address) for p in source.pools()]
    market = MarketState(pools, VENUES, native=native)
    return Engine(
        name=cfg.name,
        mode="paper",
        market=market,
        finder=Finders(cfg, market),
        gate=Guards(GuardLimits.from_config(cfg), AbortMonitor(abort_limits(cfg))),
        executor=build_executor(cfg, "paper", market),
        journal=journal,
        tracer=tracer,
    )


class _Recorded:
    """A source's events, recorded first and replayed from memory as fast as they go."""

    name = "recorded"

    def __init__(self, source: SimSource) -> None:
        self._pools = source.pools()
        self._events = list(source.events())

    def pools(self) -> Sequence[PoolRef]:
        return self._pools

    def events(self) -> Iterator[SourceEvent]:
        return iter(self._events)

    def close(self) -> None:
        self._events = []


def bench_pair(
    *,
    slots: int,
    seed: int = 11,
    tracer: OpportunityTracer = TRACER_OFF,
    profile: cProfile.Profile | None = None,
    native: bool = True,
    live: bool = False,
    warmup_slots: int = 20,
) -> PairResult:
    """The whole engine (real finders, guards, paper executor) on the sim, as fast as it goes.

    The sim's slots are recorded first and replayed from memory (the engine alone, as a
    capture replays); `live`: the sim makes each slot between batches, in this process
    (its own work, a Python market of every venue, then runs between every two batches).
    Latencies count from slot `warmup_slots` on (the first batches run cold code).
    `native=False`: the Python reference venues alone (the same decisions, slower)."""
    cfg = pair_config(seed)
    sim = SimSource.from_config(cfg, VENUES, default_makers(), realtime=False, max_slots=slots)
    source: Source = sim if live else _Recorded(sim)
    engine = paper_engine(cfg, sim, NullJournal(), native=native, tracer=tracer)
    first: list[int] = []
    seen = warm = 0

    def first_decision(e: Engine) -> None:
        # The engine keeps every decision's latency; keep each batch's first one.
        nonlocal seen, warm
        samples = e.stats.latency_ns
        if e.stats.slot_updates <= warmup_slots:
            seen = warm = len(samples)
        elif len(samples) > seen:
            first.append(samples[seen])
            seen = len(samples)

    gc.collect()
    if profile is not None:
        profile.enable()
    started = time.perf_counter()
    stats = engine.run(source, on_event=first_decision)
    wall = time.perf_counter() - started
    if profile is not None:
        profile.disable()
    lat = list(stats.latency_ns)[warm:]
    st = stats.stages
    stages = {
        "decode": st.decode,
        "find": st.find,
        "guard": st.guard,
        "execute": st.execute,
        "journal": st.journal,
    }
    updates, batches = max(1, stats.account_updates), max(1, stats.batches)
    return PairResult(
        slots=slots,
        events=stats.events,
        batches=stats.batches,
        account_updates=stats.account_updates,
        opportunities=stats.opportunities,
        batches_decided=len(first),
        p50_us=percentile(first, 0.5) / 1e3,
        p99_us=percentile(first, 0.99) / 1e3,
        decision_p50_us=percentile(lat, 0.5) / 1e3,
        decision_p99_us=percentile(lat, 0.99) / 1e3,
        stages_us_per_update={k: v / updates / 1e3 for k, v in stages.items()},
        stages_us_per_batch={k: v / batches / 1e3 for k, v in stages.items()},
        wall_s=wall,
    )


# --- the 1,000-pool graph -----------------------------------------------------------------


def graph_universe(
    n_tokens: int, n_pools: int, kinds: Sequence[str], seed: int
) -> tuple[list[SimToken], list[PoolSpec]]:
    """Tokens paired with the hubs (USDC, SOL) first, then random token-token pools."""
    rng = random.Random(f"bench-graph:{seed}")
    tokens = [
        SimToken(sym, Pubkey.from_string(mint), dec, KNOWN_PRICES[sym])
        for sym, (mint, dec) in CORE_TOKENS.items()
    ]
    while len(tokens) < n_tokens:
        i = len(tokens)
        price = 10 ** rng.uniform(-3, 2.5)
        tokens.append(SimToken(f"T{i}", derived_key("bench-mint", seed, i), 6, price))
    usdc, sol = tokens[1], tokens[0]
    specs: list[PoolSpec] = []
    pairs: set[tuple[int, int]] = set()

    def add(a: int, b: int) -> None:
        key = (min(a, b), max(a, b))
        if a == b or key in pairs or len(specs) >= n_pools:
            return
        pairs.add(key)
        kind = kinds[len(specs) % len(kinds)]
        address = derived_key("bench-pool", seed, len(specs))
        depth = 10 ** rng.uniform(5, 6.5)
        specs.append(PoolSpec(kind, address, tokens[a], tokens[b], depth))

    add(0, 1)
    add(0, 2)
    add(2, 1)
    for i in range(3, len(tokens)):
        add(i, tokens.index(usdc))
        add(i, tokens.index(sol))
    while len(specs) < n_pools:
        add(rng.randrange(len(tokens)), rng.randrange(len(tokens)))
    return tokens, specs


@dataclass(slots=True)
class GraphResult:
    pools: int
    tokens: int
    cycles: int
    load_s: float
    rebuild_ms: float
    full_scan_ms: float
    full_found: int
    # Per batch (one sim slot's changed accounts): the one re-evaluation (find) it costs.
    batches: int
    accounts_per_batch: float
    batch_incremental_ms_p50: float
    batch_incremental_ms_p99: float
    updates: int
    updates_per_s: float
    batches_per_s: float
    updates_per_s_unsized: float
    sized_routes: int
    ms_per_sized_route: float
    found: int  # opportunities the batches and single updates produced
    # The same kind of moves applied one account at a time: re-evaluation per update.
    single_updates: int
    incremental_ms_p50: float
    incremental_ms_p99: float
    rss_loaded_mb: float
    stages_us_per_update: dict[str, float] = field(default_factory=dict)


def _encode_all(market: SimMarket, addresses: Sequence[Pubkey]) -> list[RawAccount]:
    out: list[RawAccount] = []
    for address in addresses:
        pool = market.pools[address]
        primary, deps = market.venues[pool.spec.kind].encode(pool.state)
        out.append(primary)
        out.extend(deps[k] for k in sorted(deps, key=bytes))
    return out


class _SizerClock:
    """Adds up the calls and time of the sizing: the sizer's `size` and `size_natively`
    (edges, and cycles on Python pools) and the cycle search's native re-quote + sizing
    (`CycleBook.size`). A call made inside a timed one (`size` of a native route) is
    not counted again."""

    def __init__(self, sizer: Sizer, cycles: CycleSearch) -> None:
        self._size = sizer.size
        self._size_route = sizer.size_natively
        self._size_natively = cycles._size_natively
        self.ns = 0
        self.calls = 0
        self._depth = 0
        setattr(sizer, "size", self.size)  # noqa: B010 - instance attributes, timed
        setattr(sizer, "size_natively", self.size_route)  # noqa: B010
        setattr(cycles, "_size_natively", self.size_natively)  # noqa: B010

    def size(self, route: Route, max_size: int | None = None) -> SizedRoute | None:
        return self._timed(1, self._size, route, max_size)

    def size_route(self, route: NativeRoute, max_size: int | None = None) -> NativeSized | None:
        return self._timed(1, self._size_route, route, max_size)

    def size_natively(self, hot: list[int]) -> list[tuple[int, NativeSized | None]]:
        return self._timed(len(hot), self._size_natively, hot)

    def _timed(self, calls: int, fn: Callable[..., _T], *args: Any) -> _T:
        if self._depth:
            return fn(*args)
        self._depth += 1
        start = time.perf_counter_ns()
        try:
            return fn(*args)
        finally:
            self.ns += time.perf_counter_ns() - start
            self.calls += calls
            self._depth -= 1


def _slot_stream(sim: SimMarket, specs: Sequence[PoolSpec]) -> Iterator[list[RawAccount]]:
    """The market's moves, slot after slot: the accounts whose bytes changed (as a feed
    delivers them). Generated between measured batches, never timed: the sim and its
    encoding are not the engine's cost."""
    last = {raw.pubkey: raw.data for raw in _encode_all(sim, [s.address for s in specs])}
    while True:
        changed = sim.step()
        batch = [
            raw
            for raw in _encode_all(sim, sorted(changed, key=bytes))
            if last.get(raw.pubkey) != raw.data
        ]
        last.update((raw.pubkey, raw.data) for raw in batch)
        yield batch


def _ahead(moves: Iterator[_T], count: int, ahead: int) -> Iterator[_T]:
    """`count` items of `moves`, taken `ahead` at a time before any is handed out."""
    while count > 0:
        taken = list(islice(moves, min(ahead, count)))
        count -= len(taken)
        yield from taken
        if not taken:
            return


def _slot_batches(sim: SimMarket, specs: Sequence[PoolSpec], slots: int) -> list[list[RawAccount]]:
    """`_slot_stream`'s next `slots` slots, the empty ones left out."""
    return [batch for batch in islice(_slot_stream(sim, specs), slots) if batch]


def bench_graph(
    *,
    n_tokens: int = 300,
    n_pools: int = 1000,
    slots: int = 5,
    max_updates: int = 2_000,
    single_updates: int = 300,
    warmup_slots: int = 5,
    ahead: int = 3,
    seed: int = 5,
    venues: dict[str, Venue[Any]] | None = None,
    profile: cProfile.Profile | None = None,
    native: bool = True,
) -> GraphResult:
    """Cycle search (3 hops) over a sim universe; the market moves for `slots` slots.

    At most `max_updates` accounts go through in whole batches, then up to
    `single_updates` more one at a time.
    """
    venues = venues or dict(VENUES)
    makers = default_makers()
    kinds = [
        k for k in ("raydium-cpmm", "orca-whirlpool", "meteora-dlmm", "phoenix") if k in venues
    ]
    tokens, specs = graph_universe(n_tokens, n_pools, kinds, seed)
    t0 = time.perf_counter()
    sim = SimMarket(tokens, specs, venues, makers, seed=seed)
    market = MarketState([(s.kind, s.address) for s in specs], venues, native=native)
    market.apply_batch(_encode_all(sim, [s.address for s in specs]), 0)
    load = time.perf_counter() - t0
    loaded_rss = current_rss_mb()
    finders = Finders(pair_config(seed, max_hops=3), market)
    cycles = finders.cycles
    assert cycles is not None
    gc.collect()
    if profile is not None:
        profile.enable()
    t0 = time.perf_counter_ns()
    cycles.rebuild()
    t1 = time.perf_counter_ns()
    found = cycles.scan(1, refresh=True)  # every edge re-quoted, every cycle summed
    t2 = time.perf_counter_ns()
    if profile is not None:
        profile.disable()
    # Warm-up slots, not measured: what a finder builds once per route (its form, its
    # text key) is a first-sight cost a running engine has long paid.
    moves = _slot_stream(sim, specs)
    now = 1
    for batch in islice(moves, warmup_slots):
        now += 400_000_000
        for _ in finders.find(market, market.apply_batch(batch, now), now):
            pass

    # The sizer is timed on its own: the rest of a find is the scan's (refresh, sum, screen).
    sizer = finders.sizer
    sizing = _SizerClock(sizer, cycles)
    decode_ns = find_ns = 0
    updates = found_total = batches = 0
    per_batch: list[int] = []
    # Whole batches up to `max_updates` accounts (a cut batch would be a torn state). The
    # sim makes them a few slots ahead (`ahead`): the engine runs on them back to back,
    # as on a feed, without the bench's input ever all in memory.
    for moved in _ahead(moves, slots, ahead):
        if not moved:
            continue
        batch = moved
        if len(moved) > max_updates - updates:
            if batches:
                break
            batch = moved[:max_updates]  # a tiny budget still measures something
        batches += 1
        now += 400_000_000
        # As in `Engine.run`: the cyclic GC runs between batches (not timed), never inside.
        collect_due_garbage()
        gc.disable()
        if profile is not None:
            profile.enable()
        a = time.perf_counter_ns()
        changed_pools = market.apply_batch(batch, now)
        b = time.perf_counter_ns()
        decode_ns += b - a
        updates += len(batch)
        if changed_pools:
            found_total += len(list(finders.find(market, changed_pools, now)))
            c = time.perf_counter_ns()
            find_ns += c - b
            per_batch.append(c - b)
        if profile is not None:
            profile.disable()
        gc.enable()
    size_ns, routes = sizing.ns, sizing.calls
    scan_ns = find_ns - size_ns
    single: list[int] = []
    singles = [raw for batch in islice(moves, 2) for raw in batch][:single_updates]
    if profile is not None:
        profile.enable()
    for raw in singles:
        now += 1_000
        collect_due_garbage()
        gc.disable()
        changed_pools = market.apply(raw, now)
        if changed_pools:
            a = time.perf_counter_ns()
            found_total += len(list(finders.find(market, changed_pools, now)))
            single.append(time.perf_counter_ns() - a)
        gc.enable()
    if profile is not None:
        profile.disable()
    total = decode_ns + scan_ns + size_ns
    per = max(1, updates) * 1e3
    return GraphResult(
        pools=len(specs),
        tokens=len(tokens),
        cycles=cycles.cycle_count,
        load_s=load,
        rebuild_ms=(t1 - t0) / 1e6,
        full_scan_ms=(t2 - t1) / 1e6,
        full_found=len(found),
        batches=batches,
        accounts_per_batch=updates / max(1, batches),
        batch_incremental_ms_p50=percentile(per_batch, 0.5) / 1e6,
        batch_incremental_ms_p99=percentile(per_batch, 0.99) / 1e6,
        updates=updates,
        updates_per_s=updates / (total / 1e9) if total else 0.0,
        batches_per_s=batches / (total / 1e9) if total else 0.0,
        updates_per_s_unsized=updates / ((decode_ns + scan_ns) / 1e9) if total else 0.0,
        sized_routes=routes,
        found=found_total,
        ms_per_sized_route=size_ns / max(1, routes) / 1e6,
        single_updates=len(single),
        incremental_ms_p50=percentile(single, 0.5) / 1e6,
        incremental_ms_p99=percentile(single, 0.99) / 1e6,
        rss_loaded_mb=loaded_rss,
        stages_us_per_update={
            "decode": decode_ns / per,
            "scan": scan_ns / per,
            "size": size_ns / per,
        },
    )


def current_rss_mb() -> float:
    """Resident set size now (Linux /proc; 0 where it is not available)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * resource.getpagesize() / (1 << 20)


def rss_mb() -> float:
    """Peak resident set size of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(
    pair: PairResult | None,
    graph: GraphResult | None,
    rss: float,
    live: PairResult | None = None,
) -> list[str]:
    g = GOALS
    lines = ["solarb bench engine (figures measured on this machine, one core)"]
    if pair is not None:
        lines += [
            f"pair: 1 pair x 4 venues, {pair.slots} sim slots recorded then replayed from"
            f" memory, {pair.events} events ({pair.batches} batches of"
            f" {pair.account_updates} accounts), {pair.opportunities} opportunities,"
            f" {pair.wall_s:.2f} s",
            f"  tick->decision p50 {pair.p50_us:10.1f} us   p99 {pair.p99_us:10.1f} us"
            f"   (goal p99 <= {g['tick_to_decision_p99_us']:.0f} us;"
            f" per batch with a decision, {pair.batches_decided} batches)",
            f"    every decision p50 {pair.decision_p50_us:9.1f} us   p99"
            f" {pair.decision_p99_us:10.1f} us",
            "  per account update (us): "
            + "  ".join(f"{k} {v:.1f}" for k, v in pair.stages_us_per_update.items()),
            "  per batch (us):          "
            + "  ".join(f"{k} {v:.1f}" for k, v in pair.stages_us_per_batch.items()),
        ]
    if live is not None:
        lines.append(
            f"  live sim in this process (it runs between batches): tick->decision"
            f" p50 {live.p50_us:.1f} us p99 {live.p99_us:.1f} us"
        )
    if graph is not None:
        lines += [
            f"graph: {graph.pools} pools / {graph.tokens} tokens, {graph.cycles} cycles"
            f" (sim loaded in {graph.load_s:.2f} s)",
            f"  cycle enumeration {graph.rebuild_ms:10.2f} ms (on pool set changes only)",
            f"  full cycle scan   {graph.full_scan_ms:10.2f} ms ({graph.full_found} found)"
            f"   (goal <= {g['full_scan_ms']:.0f} ms)",
            f"  per batch         p50 {graph.batch_incremental_ms_p50:.3f} ms"
            f"  p99 {graph.batch_incremental_ms_p99:.3f} ms"
            f"   (re-evaluation per batch; {graph.batches} slot batches,"
            f" {graph.accounts_per_batch:.0f} accounts each)",
            f"  single update     p50 {graph.incremental_ms_p50:.3f} ms"
            f"  p99 {graph.incremental_ms_p99:.3f} ms"
            f"   (goal <= {g['incremental_scan_ms']:.0f} ms; re-evaluation after one account"
            f" applied alone, {graph.single_updates} updates)",
            f"  updates/s/core    {graph.updates_per_s:10.0f} accounts over {graph.updates}"
            f"   (goal >= {g['updates_per_s']:.0f});  batches/s {graph.batches_per_s:.1f}",
            f"    without sizing  {graph.updates_per_s_unsized:10.0f}"
            f"   ({graph.sized_routes} routes re-quoted/sized,"
            f" {graph.ms_per_sized_route * 1e3:.1f} us each; {graph.found} opportunities)",
            "  per account update (us): "
            + "  ".join(f"{k} {v:.1f}" for k, v in graph.stages_us_per_update.items()),
        ]
    if graph is not None:
        lines.append(f"rss with the graph loaded (sim + market) {graph.rss_loaded_mb:.0f} MB")
    lines.append(f"rss peak {rss:.0f} MB   (goal <= {g['rss_mb']:.0f} MB)")
    return lines


def reference_report(
    pair: PairResult | None,
    graph: GraphResult | None,
    ref_pair: PairResult | None,
    ref_graph: GraphResult | None,
) -> list[str]:
    """The Python reference's figures from the same run, and the native core's ratio."""
    lines = ["python reference (SOLARB_NATIVE=0), same runs:"]
    if pair is not None and ref_pair is not None:
        lines.append(
            f"  tick->decision p50 {ref_pair.p50_us:.1f} us p99 {ref_pair.p99_us:.1f} us"
            f"   (native {_ratio(ref_pair.p50_us, pair.p50_us)} / "
            f"{_ratio(ref_pair.p99_us, pair.p99_us)} faster)"
        )
    if graph is not None and ref_graph is not None:
        lines.append(
            f"  updates/s/core {ref_graph.updates_per_s:.0f}"
            f"   (native {_ratio(graph.updates_per_s, ref_graph.updates_per_s)});"
            f" full scan {ref_graph.full_scan_ms:.2f} ms"
            f" (native {_ratio(ref_graph.full_scan_ms, graph.full_scan_ms)} faster)"
        )
    return lines


def _ratio(slow: float, fast: float) -> str:
    return f"{slow / fast:.1f}x" if fast > 0 else "n/a"
