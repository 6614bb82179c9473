"""Opportunity traces: span tree, attributes, sampling and the off switch."""

from __future__ import annotations

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from solders.pubkey import Pubkey

from solarb_runtime.engine import Engine
from solarb_runtime.execution.paper import PaperExecutor
from solarb_runtime.market.state import MarketState
from solarb_runtime.telemetry.tracing import (
    TRACER_OFF,
    StageTime,
    trace_id_hex,
    tracer_from_env,
)
from tests.support.engine_kit import (
    FAKE_VENUES,
    USDC,
    FakeGate,
    ListJournal,
    PairFinder,
    fake_config,
    fake_sim,
)

STAGES = [
    StageTime("detect", 1_000, 2_000),
    StageTime("size", 2_000, 5_000),
    StageTime("guard", 5_000, 6_000),
]


def test_span_tree_has_a_root_and_one_child_per_stage_with_attributes() -> None:
    exporter = InMemorySpanExporter()
    tracer = tracer_from_env("solarb-test", {}, exporter)
    context = tracer.record(
        "opp-1", STAGES, {"solarb.venues": "phoenix,raydium-cpmm", "solarb.size": 5}
    )
    tracer.record_late(context, StageTime("submit", 7_000, 9_000), {"solarb.outcome": "paper"})
    assert tracer.provider is not None
    tracer.provider.force_flush()
    spans = {span.name: span for span in exporter.get_finished_spans()}
    assert set(spans) == {"opportunity", "detect", "size", "guard", "submit"}
    root = spans["opportunity"]
    assert root.parent is None
    assert root.attributes is not None
    assert root.attributes["solarb.opportunity_id"] == "opp-1"
    assert root.attributes["solarb.size"] == 5
    for name in ("detect", "size", "guard", "submit"):
        assert spans[name].parent is not None
        assert spans[name].parent.span_id == root.context.span_id
        assert spans[name].context.trace_id == root.context.trace_id
    # Stage durations are the recorded monotonic intervals.
    assert spans["size"].end_time - spans["size"].start_time == 3_000
    assert trace_id_hex(context) == format(root.context.trace_id, "032x")


def test_sampler_always_off_records_nothing_and_returns_no_trace_id() -> None:
    exporter = InMemorySpanExporter()
    tracer = tracer_from_env("solarb-test", {"OTEL_TRACES_SAMPLER": "always_off"}, exporter)
    assert tracer.record("opp-2", STAGES, {}) is None
    assert tracer.provider is not None
    tracer.provider.force_flush()
    assert exporter.get_finished_spans() == ()


def test_tracing_is_off_without_an_endpoint_or_when_disabled() -> None:
    assert tracer_from_env("solarb-test", {}) is TRACER_OFF
    disabled = {"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}
    assert tracer_from_env("solarb-test", disabled) is TRACER_OFF
    assert TRACER_OFF.record("opp-3", STAGES, {}) is None
    assert not TRACER_OFF.enabled


def test_engine_traces_each_opportunity_and_journals_the_trace_id() -> None:

    exporter = InMemorySpanExporter()
    tracer = tracer_from_env("solarb-test", {}, exporter)
    source = fake_sim(fake_config(), max_slots=60)
    market = MarketState([(p.kind, p.address) for p in source.pools()], FAKE_VENUES)
    journal = ListJournal()
    engine = Engine(
        name="t",
        mode="paper",
        market=market,
        finder=PairFinder(Pubkey.from_string(USDC), max_size=50_000 * 10**6),
        gate=FakeGate(),
        executor=PaperExecutor(market, latency_ms=400),
        journal=journal,
        tracer=tracer,
    )
    engine.run(source)
    assert tracer.provider is not None
    tracer.provider.force_flush()
    spans = exporter.get_finished_spans()
    roots = {format(s.context.trace_id, "032x"): s for s in spans if s.name == "opportunity"}
    decisions = journal.decisions()
    assert decisions
    assert engine.stats.sent > 0
    for decision in decisions:
        root = roots[str(decision["trace_id"])]
        assert root.attributes is not None
        assert root.attributes["solarb.opportunity_id"] == decision["opportunity_id"]
        assert root.attributes["solarb.decision"] == decision["action"]
    by_trace: dict[int, set[str]] = {}
    for span in spans:
        by_trace.setdefault(span.context.trace_id, set()).add(span.name)
    landed = [d for k, d in journal.records if k == "landed"]
    assert landed
    for report in landed:
        names = by_trace[int(str(report["trace_id"]), 16)]
        assert {"opportunity", "detect", "size", "guard", "submit", "land"} <= names
