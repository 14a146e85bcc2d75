"""OpenTelemetry set-up and W3C trace context carried in Kafka headers and outbox rows.

With tracing on, a process records a span for each HTTP request it serves (FastAPI, in
``http/app.py``), each request it makes with httpx, each SQL statement of the engines
servicekit builds, each record the outbox relay publishes and each record its consumer
processes; the last two take their parent from the ``traceparent`` the record carries."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import metrics, propagate, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.instrumentation.sqlalchemy.version import __version__ as statements_version
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import INVALID_SPAN, Link, Span, SpanKind
from opentelemetry.util.types import Attributes
from sqlalchemy.ext.asyncio import AsyncEngine

TRACER_NAME = "switchboard.servicekit"


def otlp_exporter(endpoint: str | None) -> SpanExporter:
    """OTLP over HTTP to ``endpoint`` (the collector's base URL, e.g.
    ``http://otel-collector:4318``), else to what ``OTEL_EXPORTER_OTLP_ENDPOINT`` says."""
    if endpoint:
        return OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")
    return OTLPSpanExporter()


def setup_tracing(
    service_name: str,
    exporter: str = "none",
    processor: SpanProcessor | None = None,
    *,
    endpoint: str | None = None,
) -> TracerProvider | None:
    """Install a tracer provider for this process; ``none`` keeps tracing off (no-op)."""
    if exporter == "none" and processor is None:
        return None
    existing = trace.get_tracer_provider()
    if isinstance(existing, TracerProvider):
        # The global provider can be set once per process; later calls add processors.
        if processor is not None:
            existing.add_span_processor(processor)
        return existing
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if processor is not None:
        provider.add_span_processor(processor)
    if exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    elif exporter == "otlp":
        provider.add_span_processor(BatchSpanProcessor(otlp_exporter(endpoint)))
    trace.set_tracer_provider(provider)
    HTTPXClientInstrumentor().instrument()  # every httpx client of the process, made or to be
    return provider


def tracing_enabled() -> bool:
    """False while the no-op provider is installed: spans would record nothing."""
    return isinstance(trace.get_tracer_provider(), TracerProvider)


def trace_statements(engine: AsyncEngine) -> None:
    """A client span for each SQL statement ``engine`` runs, while tracing is on.

    ``SQLAlchemyInstrumentor().instrument(engine=...)`` takes one engine per process (a
    second call is ignored), and a process builds several (migrations, the service's);
    its ``EngineTracer`` is what that call attaches, one per engine. A statement outside any
    span (a relay's or a loop's poll) records nothing: each would be a trace of its own."""
    if not tracing_enabled():
        return
    name = "opentelemetry.instrumentation.sqlalchemy"
    connections = metrics.get_meter(name, statements_version).create_up_down_counter(
        "db.client.connections.usage", unit="connections"
    )
    statements = _WithinTraces(trace.get_tracer(name, statements_version))
    EngineTracer(statements, engine.sync_engine, connections)  # type: ignore[no-untyped-call]


class _WithinTraces:
    """A tracer (as much of one as ``EngineTracer`` uses) that starts spans only as
    children: without a current span it gives the no-op span."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer

    def start_span(self, name: str, *args: Any, **kwargs: Any) -> Span:
        context = kwargs.get("context") or (args[0] if args else None)
        if not trace.get_current_span(context).get_span_context().is_valid:
            return INVALID_SPAN
        return self._tracer.start_span(name, *args, **kwargs)


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME)


def current_trace_headers() -> dict[str, str]:
    """The current span's ``traceparent``/``tracestate``, to store with an outbox row."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


@contextmanager
def span_from_headers(
    name: str, headers: Mapping[str, str], kind: SpanKind, attributes: Mapping[str, str]
) -> Iterator[Span]:
    """A span whose parent is the trace context found in message headers."""
    parent = propagate.extract(dict(headers))
    token = otel_context.attach(parent)
    try:
        with tracer().start_as_current_span(name, kind=kind, attributes=dict(attributes)) as span:
            yield span
    finally:
        otel_context.detach(token)


@contextmanager
def span_for_many(
    name: str, traces: Sequence[Mapping[str, str]], attributes: Attributes = None
) -> Iterator[None]:
    """A span for work done once for several messages or requests (one transaction for a
    batch): a child of the first one's trace, linked to the others' (once each: the events of
    one request share its context). Nothing when tracing is off or the first carries no trace."""
    if not tracing_enabled() or not traces or not traces[0]:
        yield
        return
    seen = {_span_context(traces[0]).span_id}
    links = []
    for context in map(_span_context, traces[1:]):
        if context.is_valid and context.span_id not in seen:
            seen.add(context.span_id)
            links.append(Link(context))
    token = otel_context.attach(propagate.extract(dict(traces[0])))
    try:
        with tracer().start_as_current_span(name, links=links, attributes=attributes):
            yield
    finally:
        otel_context.detach(token)


def _span_context(headers: Mapping[str, str]) -> trace.SpanContext:
    return trace.get_current_span(propagate.extract(dict(headers))).get_span_context()
