"""One trace spans the request that wrote the event, the relay's publish and the consumer."""

from __future__ import annotations

import asyncio

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from switchboard.servicekit.kafka import ensure_topics, make_producer
from switchboard.servicekit.outbox import OutboxRelay, add_event
from switchboard.servicekit.telemetry import setup_tracing, tracer
from switchboard.servicekit.testing.helpers import eventually

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
