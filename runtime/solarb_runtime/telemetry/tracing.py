"""OpenTelemetry traces over an opportunity's lifecycle: detect → size → simulate → guard →
submit → land, one trace per opportunity, the trace id carried into the journal.

The hot path only takes `time.monotonic_ns()` stamps it needs anyway; spans are built from
those stamps after the decision, with explicit start/end times, so the engine never waits on
the SDK. With tracing off (`TRACER_OFF`) every call returns at once.

Configuration follows the standard variables: `OTEL_SDK_DISABLED`, `OTEL_SERVICE_NAME`,
`OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` (sampling), `OTEL_EXPORTER_OTLP_ENDPOINT`
(and the rest of `OTEL_EXPORTER_OTLP_*`, read by the exporter itself).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, Sampler, TraceIdRatioBased
from opentelemetry.trace import Span, SpanContext, Status, StatusCode

AttributeValue = str | int | float | bool
STAGES = ("detect", "size", "simulate", "guard", "submit", "land")


@dataclass(frozen=True, slots=True)
class StageTime:
    """One stage of an opportunity, in `time.monotonic_ns()` stamps."""

    stage: str
    start_ns: int
    end_ns: int


class OpportunityTracer:
    """Emits one trace per opportunity from recorded stage times; a no-op when disabled."""

    def __init__(self, provider: TracerProvider | None) -> None:
        self.provider = provider
        self._tracer = provider.get_tracer("solarb.runtime") if provider is not None else None
        # Spans need wall-clock times; the engine stamps with the monotonic clock.
        self._offset_ns = time.time_ns() - time.monotonic_ns()

    @property
    def enabled(self) -> bool:
        return self._tracer is not None

    def record(
        self,
        opportunity_id: str,
        stages: Sequence[StageTime],
        attributes: Mapping[str, AttributeValue],
    ) -> SpanContext | None:
        """Emit the root span and one child per stage; returns the root's context (or None)."""
        tracer = self._tracer
        if tracer is None or not stages:
            return None
        start = stages[0].start_ns + self._offset_ns
        end = stages[-1].end_ns + self._offset_ns
        root = tracer.start_span(
            "opportunity",
            start_time=start,
            attributes={"solarb.opportunity_id": opportunity_id, **attributes},
        )
        if not root.get_span_context().trace_flags.sampled:
            root.end(end_time=end)
            return None
        parent = trace.set_span_in_context(root)
        for stage in stages:
            child = tracer.start_span(
                stage.stage,
                context=parent,
                start_time=stage.start_ns + self._offset_ns,
                attributes={"solarb.opportunity_id": opportunity_id},
            )
            child.end(end_time=stage.end_ns + self._offset_ns)
        root.end(end_time=end)
        return root.get_span_context()

    def record_late(
        self,
        parent: SpanContext | None,
        stage: StageTime,
        attributes: Mapping[str, AttributeValue],
        *,
        error: str | None = None,
    ) -> None:
        """A stage that ends after the root (submit, land): a child of the recorded root."""
        tracer = self._tracer
        if tracer is None or parent is None:
            return
        context = trace.set_span_in_context(trace.NonRecordingSpan(parent))
        span: Span = tracer.start_span(
            stage.stage,
            context=context,
            start_time=stage.start_ns + self._offset_ns,
            attributes=dict(attributes),
        )
        if error is not None:
            span.set_status(Status(StatusCode.ERROR, error))
        span.end(end_time=stage.end_ns + self._offset_ns)


TRACER_OFF = OpportunityTracer(None)


def trace_id_hex(context: SpanContext | None) -> str | None:
    """The 32-hex-digit trace id the journal records carry (None when not traced)."""
    return None if context is None else format(context.trace_id, "032x")


def _sampler(env: Mapping[str, str]) -> Sampler:
    name = env.get("OTEL_TRACES_SAMPLER", "parentbased_always_on")
    arg = env.get("OTEL_TRACES_SAMPLER_ARG", "1.0")
    try:
        ratio = float(arg)
    except ValueError:
        ratio = 1.0
    if name in ("always_off", "parentbased_always_off"):
        ratio = 0.0
    elif name in ("always_on", "parentbased_always_on"):
        ratio = 1.0
    return ParentBased(TraceIdRatioBased(ratio))


def tracer_from_env(
    service: str,
    env: Mapping[str, str] | None = None,
    exporter: SpanExporter | None = None,
) -> OpportunityTracer:
    """The tracer the environment asks for: off unless an exporter or OTLP endpoint is set."""
    env = os.environ if env is None else env
    if env.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return TRACER_OFF
    if exporter is None:
        if not (
            env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        ):
            return TRACER_OFF
        # Imported only when exporting: it pulls in protobuf and requests.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter,
        )

        exporter = OTLPSpanExporter()
    resource = Resource.create({"service.name": env.get("OTEL_SERVICE_NAME", service)})
    provider = TracerProvider(resource=resource, sampler=_sampler(env))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return OpportunityTracer(provider)
