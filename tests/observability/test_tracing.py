"""Opportunity traces: span tree, attributes, sampling and the off switch."""

from __future__ import annotations

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from solarb_runtime.telemetry.tracing import (
    TRACER_OFF,
    StageTime,
    trace_id_hex,
    tracer_from_env,
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
