"""`solarb bench engine` on a tiny universe: every figure it reports is measured."""

from __future__ import annotations

from solarb_runtime.commands import bench_engine as be


def test_graph_universe_has_the_requested_shape_and_hubs() -> None:
    tokens, specs = be.graph_universe(40, 90, ["raydium-cpmm", "phoenix"], seed=1)
    assert len(tokens) == 40
    assert len(specs) == 90
    pairs = {frozenset((s.token_a.mint, s.token_b.mint)) for s in specs}
    assert len(pairs) == 90  # no pair twice
    usdc = tokens[1].mint
    # Every token trades against a hub, so cycles through USDC exist.
    assert all(any(t.mint in p and usdc in p for p in pairs) for t in tokens[3:])
    assert {s.kind for s in specs} == {"raydium-cpmm", "phoenix"}


def test_small_bench_reports_measured_figures() -> None:
    graph = be.bench_graph(n_tokens=15, n_pools=30, slots=2, max_updates=60)
    assert graph.pools == 30
    assert graph.cycles > 0
    assert 0 < graph.updates <= 60
    assert graph.full_scan_ms > 0
    assert graph.updates_per_s > 0
    assert graph.stages_us_per_update["decode"] > 0
    # The finders really ran (they stream: a bench that does not consume them measures
    # nothing): routes were re-quoted and sized, opportunities came out.
    assert graph.sized_routes > 0
    assert graph.found > 0
    assert graph.stages_us_per_update["scan"] > 0
    # Per-slot batches of several accounts each, then single updates.
    assert 0 < graph.batches < graph.updates
    assert graph.accounts_per_batch == graph.updates / graph.batches
    assert graph.batches_per_s > 0
    assert graph.batch_incremental_ms_p99 >= graph.batch_incremental_ms_p50 > 0
    assert 0 < graph.single_updates <= 300  # updates that changed a pool
    assert graph.incremental_ms_p99 >= graph.incremental_ms_p50 > 0
    pair = be.bench_pair(slots=4)
    assert pair.events > 0
    assert 0 < pair.batches <= 5 < pair.account_updates
    assert pair.stages_us_per_update["decode"] > 0
    assert pair.stages_us_per_batch["decode"] > pair.stages_us_per_update["decode"]
    text = "\n".join(be.report(pair, graph, be.rss_mb()))
    assert "tick->decision" in text
    assert "full cycle scan" in text
    assert "batches/s" in text


def test_reference_runs_the_python_venues_on_the_same_shape() -> None:
    native = be.bench_pair(slots=6)
    python = be.bench_pair(slots=6, native=False)
    # The same sim run decides the same: only the time differs.
    assert (python.batches, python.opportunities) == (native.batches, native.opportunities)
    graph = be.bench_graph(n_tokens=15, n_pools=30, slots=2, max_updates=60)
    ref_graph = be.bench_graph(n_tokens=15, n_pools=30, slots=2, max_updates=60, native=False)
    assert ref_graph.updates == graph.updates
    lines = be.reference_report(native, graph, python, ref_graph)
    assert "tick->decision" in lines[1]
    assert "updates/s/core" in lines[2]
    assert "x" in lines[2]


def test_the_pair_replayed_from_memory_decides_as_the_live_sim() -> None:
    recorded = be.bench_pair(slots=30, warmup_slots=10)
    live = be.bench_pair(slots=30, warmup_slots=10, live=True)
    assert (recorded.batches, recorded.opportunities) == (live.batches, live.opportunities)
    # Latencies count only after the warm-up slots.
    everything = be.bench_pair(slots=30, warmup_slots=0)
    assert 0 < recorded.batches_decided < everything.batches_decided
    text = "\n".join(be.report(recorded, None, be.rss_mb(), live))
    assert "live sim in this process" in text
