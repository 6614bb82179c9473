"""`solarb bench engine`: the engine's hot path measured on the sim's real account bytes.

Three measurements, each with a per-stage breakdown:

* pair: one pair over every venue kind (the `sol-usdc` example's shape), the sim run as
  fast as possible through the whole engine; tick→decision latency per opportunity.
* graph: a 1,000-pool / 300-token universe. Full cycle scan (every pool changed) and the
  incremental scan after one pool's update; then account updates per second through
  decode + incremental re-evaluation, on one core.
* RSS of the process at the end.

Figures are measured, never asserted: the issue's goals are printed next to them.
"""

from __future__ import annotations

import gc
import random
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from solders.pubkey import Pubkey

from solarb_runtime.commands.assembly import build_executor
from solarb_runtime.commands.parts import Finders
from solarb_runtime.config import StrategyConfig, parse_config
from solarb_runtime.domain.account import RawAccount
from solarb_runtime.engine import Engine, percentile
from solarb_runtime.market.state import MarketState
from solarb_runtime.risk.abort import AbortMonitor
from solarb_runtime.risk.guards import GuardLimits, Guards, abort_limits
from solarb_runtime.sources.sim import CORE_TOKENS, KNOWN_PRICES, SimSource
from solarb_runtime.sources.sim_makers import default_makers, derived_key
from solarb_runtime.sources.sim_market import PoolSpec, SimMarket, SimToken
from solarb_runtime.telemetry.tracing import TRACER_OFF, OpportunityTracer
from solarb_runtime.venues.base import Venue
from solarb_runtime.venues.registry import VENUES

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
    opportunities: int
    p50_us: float
    p99_us: float
    stages_us_per_update: dict[str, float]
    wall_s: float


def bench_pair(*, slots: int, seed: int = 11, tracer: OpportunityTracer = TRACER_OFF) -> PairResult:
    """The whole engine (real finders, guards, paper executor) on the sim, as fast as it goes."""
    cfg = pair_config(seed)
    source = SimSource.from_config(cfg, VENUES, default_makers(), realtime=False, max_slots=slots)
    market = MarketState([(p.kind, p.address) for p in source.pools()], VENUES)
    engine = Engine(
        name="bench",
        mode="paper",
        market=market,
        finder=Finders(cfg, market),
        gate=Guards(GuardLimits.from_config(cfg), AbortMonitor(abort_limits(cfg))),
        executor=build_executor(cfg, "paper", market),
        journal=NullJournal(),
        tracer=tracer,
    )
    gc.collect()
    started = time.perf_counter()
    stats = engine.run(source)
    wall = time.perf_counter() - started
    lat = list(stats.latency_ns)
    updates = max(1, stats.account_updates)
    st = stats.stages
    return PairResult(
        slots=slots,
        events=stats.events,
        opportunities=stats.opportunities,
        p50_us=percentile(lat, 0.5) / 1e3,
        p99_us=percentile(lat, 0.99) / 1e3,
        stages_us_per_update={
            "decode": st.decode / updates / 1e3,
            "find": st.find / updates / 1e3,
            "guard": st.guard / updates / 1e3,
            "execute": st.execute / updates / 1e3,
            "journal": st.journal / updates / 1e3,
        },
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
    incremental_ms_p50: float
    incremental_ms_p99: float
    updates: int
    updates_per_s: float
    updates_per_s_unsized: float
    sized_routes: int
    ms_per_sized_route: float
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


def bench_graph(
    *,
    n_tokens: int = 300,
    n_pools: int = 1000,
    slots: int = 5,
    max_updates: int = 2_000,
    seed: int = 5,
    venues: dict[str, Venue[Any]] | None = None,
) -> GraphResult:
    """Cycle search (3 hops) over a sim universe; the market moves for `slots` slots."""
    venues = venues or dict(VENUES)
    makers = default_makers()
    kinds = [
        k for k in ("raydium-cpmm", "orca-whirlpool", "meteora-dlmm", "phoenix") if k in venues
    ]
    tokens, specs = graph_universe(n_tokens, n_pools, kinds, seed)
    t0 = time.perf_counter()
    sim = SimMarket(tokens, specs, venues, makers, seed=seed)
    market = MarketState([(s.kind, s.address) for s in specs], venues)
    for raw in _encode_all(sim, [s.address for s in specs]):
        market.apply(raw, 0)
    load = time.perf_counter() - t0
    loaded_rss = current_rss_mb()
    finders = Finders(pair_config(seed, max_hops=3), market)
    cycles = finders.cycles
    assert cycles is not None
    gc.collect()
    t0 = time.perf_counter_ns()
    cycles.rebuild()
    t1 = time.perf_counter_ns()
    found = cycles.scan(1, refresh=True)  # every edge re-quoted, every cycle summed
    t2 = time.perf_counter_ns()
    # Pre-generate the market's moves (sim and encode are not the engine's cost), keeping
    # only accounts whose bytes changed, as a feed delivers them.
    last = {raw.pubkey: raw.data for raw in _encode_all(sim, [s.address for s in specs])}
    batches: list[list[RawAccount]] = []
    for _ in range(slots):
        changed = sim.step()
        batch = [
            raw
            for raw in _encode_all(sim, sorted(changed, key=bytes))
            if last.get(raw.pubkey) != raw.data
        ]
        last.update((raw.pubkey, raw.data) for raw in batch)
        batches.append(batch)

    def sized() -> int:
        return cycles.stats.requoted + finders.edges.stats.sized

    sized_before = sized()
    decode_ns = scan_ns = size_ns = 0
    updates = 0
    incremental: list[int] = []
    now = 1
    for raw in [raw for batch in batches for raw in batch][:max_updates]:
        now += 1_000
        a = time.perf_counter_ns()
        changed_pools = market.apply(raw, now)
        b = time.perf_counter_ns()
        decode_ns += b - a
        updates += 1
        if changed_pools:
            before = sized()
            finders.find(market, changed_pools, now)
            c = time.perf_counter_ns()
            incremental.append(c - b)
            # A find that sized a route is the sizer's time; the rest is the scan's.
            if sized() != before:
                size_ns += c - b
            else:
                scan_ns += c - b
    routes = sized() - sized_before
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
        incremental_ms_p50=percentile(incremental, 0.5) / 1e6,
        incremental_ms_p99=percentile(incremental, 0.99) / 1e6,
        updates=updates,
        updates_per_s=updates / (total / 1e9) if total else 0.0,
        updates_per_s_unsized=updates / ((decode_ns + scan_ns) / 1e9) if total else 0.0,
        sized_routes=routes,
        ms_per_sized_route=size_ns / max(1, routes) / 1e6,
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


def report(pair: PairResult | None, graph: GraphResult | None, rss: float) -> list[str]:
    g = GOALS
    lines = ["solarb bench engine (figures measured on this machine, one core)"]
    if pair is not None:
        lines += [
            f"pair: 1 pair x 4 venues, {pair.slots} sim slots, {pair.events} events, "
            f"{pair.opportunities} opportunities, {pair.wall_s:.2f} s",
            f"  tick->decision p50 {pair.p50_us:10.1f} us   p99 {pair.p99_us:10.1f} us"
            f"   (goal p99 <= {g['tick_to_decision_p99_us']:.0f} us)",
            "  per account update (us): "
            + "  ".join(f"{k} {v:.1f}" for k, v in pair.stages_us_per_update.items()),
        ]
    if graph is not None:
        lines += [
            f"graph: {graph.pools} pools / {graph.tokens} tokens, {graph.cycles} cycles"
            f" (sim loaded in {graph.load_s:.2f} s)",
            f"  cycle enumeration {graph.rebuild_ms:10.2f} ms (on pool set changes only)",
            f"  full cycle scan   {graph.full_scan_ms:10.2f} ms ({graph.full_found} found)"
            f"   (goal <= {g['full_scan_ms']:.0f} ms)",
            f"  incremental scan  p50 {graph.incremental_ms_p50:.3f} ms"
            f"  p99 {graph.incremental_ms_p99:.3f} ms"
            f"   (goal <= {g['incremental_scan_ms']:.0f} ms)",
            f"  updates/s/core    {graph.updates_per_s:10.0f} over {graph.updates} updates"
            f"   (goal >= {g['updates_per_s']:.0f})",
            f"    without sizing  {graph.updates_per_s_unsized:10.0f}"
            f"   ({graph.sized_routes} routes sized, {graph.ms_per_sized_route:.1f} ms each)",
            "  per account update (us): "
            + "  ".join(f"{k} {v:.1f}" for k, v in graph.stages_us_per_update.items()),
        ]
    if graph is not None:
        lines.append(f"rss with the graph loaded (sim + market) {graph.rss_loaded_mb:.0f} MB")
    lines.append(f"rss peak {rss:.0f} MB   (goal <= {g['rss_mb']:.0f} MB)")
    return lines
