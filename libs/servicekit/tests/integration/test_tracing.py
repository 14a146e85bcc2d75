"""One trace spans the request that wrote the event, the relay's publish and the consumer;
its SQL statements and outgoing httpx requests are spans of it too."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI, Request
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import text
from sqlalchemy.engine import make_url

from switchboard.servicekit.db import create_engine
from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.kafka import ensure_topics, make_producer
from switchboard.servicekit.outbox import OutboxRelay, add_event
from switchboard.servicekit.telemetry import (
    current_trace_headers,
    setup_tracing,
    span_for_many,
    tracer,
)
from switchboard.servicekit.testing.helpers import eventually
from switchboard.servicekit.testing.receiver import serving

pytestmark = pytest.mark.integration


async def test_one_trace_spans_producer_and_consumer(world):
    exporter = InMemorySpanExporter()
    setup_tracing("servicekit-tests", processor=SimpleSpanProcessor(exporter))
    await ensure_topics(world.bootstrap, [world.topic])
    producer = make_producer(world.bootstrap)
    await producer.start()
    relay = OutboxRelay(sessions=world.sessions, producer=producer, poll_seconds=0.2)
    consumer = world.consumer(producer)
    await consumer.start()
    tasks = [asyncio.create_task(relay.run()), asyncio.create_task(consumer.run())]
    try:
        with tracer().start_as_current_span("POST /contacts") as request_span:
            async with world.sessions() as session, session.begin():
                await add_event(session, world.envelope("case-7", 1))
        await eventually(world.effect_rows)

        async def consumer_span():
            return [s for s in exporter.get_finished_spans() if s.name.endswith(" process")]

        [processed] = await eventually(consumer_span)
        [published] = [s for s in exporter.get_finished_spans() if s.name.endswith(" publish")]
        trace_id = request_span.get_span_context().trace_id
        assert published.context.trace_id == trace_id
        assert processed.context.trace_id == trace_id
        assert published.parent.span_id == request_span.get_span_context().span_id
        assert processed.parent.span_id == published.context.span_id
    finally:
        relay.stop()
        await consumer.stop()
        await asyncio.gather(*tasks)
        await producer.stop()


async def test_statements_and_httpx_requests_are_spans_of_the_current_trace(database_url):
    exporter = InMemorySpanExporter()
    setup_tracing("servicekit-tests", processor=SimpleSpanProcessor(exporter))
    engine = create_engine(database_url)  # built while tracing is on: its statements are spans
    received: list[str] = []
    app = FastAPI()

    @app.get("/ping")
    async def ping(request: Request) -> dict[str, str]:
        received.append(request.headers.get("traceparent", ""))
        return {}

    port = free_port()
    try:
        async with serving(app, port), httpx.AsyncClient() as client:
            with tracer().start_as_current_span("handling") as handling:
                async with engine.connect() as connection:
                    assert (await connection.execute(text("SELECT 41 + 1"))).scalar() == 42
                answer = await client.get(f"http://127.0.0.1:{port}/ping")
                assert answer.status_code == 200
            async with engine.connect() as connection:  # in no trace: a poll, say
                await connection.execute(text("SELECT 'untraced'"))
    finally:
        await engine.dispose()

    parent = handling.get_span_context()
    children = [
        s for s in exporter.get_finished_spans() if s.parent and s.parent.span_id == parent.span_id
    ]
    [statement] = [s for s in children if "SELECT 41 + 1" in str(s.attributes.get("db.statement"))]
    assert statement.kind is SpanKind.CLIENT
    assert statement.attributes["db.system"] == make_url(database_url).get_backend_name()
    [request] = [s for s in children if s.attributes.get("http.method") == "GET"]
    assert request.kind is SpanKind.CLIENT
    # the request carried the trace on: the receiver's parent is the httpx span
    assert not [
        s for s in exporter.get_finished_spans() if "untraced" in s.name + str(s.attributes)
    ]
    [traceparent] = received
    assert traceparent.startswith(f"00-{parent.trace_id:032x}-{request.context.span_id:016x}-")


def test_a_transaction_for_several_messages_is_in_the_first_one_s_trace_linked_to_the_rest():
    exporter = InMemorySpanExporter()
    setup_tracing("servicekit-tests", processor=SimpleSpanProcessor(exporter))
    carried = []
    for name in ("first", "second", "third"):
        with tracer().start_as_current_span(name) as span:
            carried.append((span.get_span_context(), current_trace_headers()))
    traces = [headers for _, headers in carried]

    with span_for_many("group transaction", [*traces, traces[1], traces[0]]):
        pass

    [batch] = [s for s in exporter.get_finished_spans() if s.name == "group transaction"]
    first, second, third = (context for context, _ in carried)
    assert batch.context.trace_id == first.trace_id
    assert batch.parent.span_id == first.span_id
    assert [link.context.span_id for link in batch.links] == [second.span_id, third.span_id]
