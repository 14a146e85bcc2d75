"""The greeter (``tests/greeter``) assembled by servicekit on the real broker and
PostgreSQL: a visit on Kafka becomes a greeting on Kafka, through the consumer, the
handler, the outbox and the relay, with nothing but the greeter's definition."""

from __future__ import annotations

import uuid

import pytest

from switchboard.contracts.envelope import Envelope, decode, encode
from switchboard.servicekit.kafka import ensure_topics, make_producer
from switchboard.servicekit.service import assemble
from switchboard.servicekit.testing.helpers import read_topic

from ..greeter.bootstrap import DEFINITION
from ..greeter.events import GREETINGS, REGISTRY, VISITS, VisitorArrived, VisitorGreeted

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


async def test_a_visit_on_kafka_becomes_a_greeting_on_kafka(database_url, kafka_bootstrap):
    visits = f"test-visits-{uuid.uuid4().hex}"
    settings = DEFINITION.settings.load(
        database_url=database_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        consumer_group=f"greeter-{visits}",
        topic_names={VISITS.name: visits},
    )
    service = assemble(DEFINITION, settings, migrate_first=True)
    await service.runtime.start()
    producer = make_producer(kafka_bootstrap)
    await producer.start()
    try:
        await ensure_topics(kafka_bootstrap, [visits])
        visitor = f"camille-{uuid.uuid4().hex[:6]}"
        record = encode(Envelope(VisitorArrived(visitor=visitor, language="fr"), source="/door"))
        await producer.send_and_wait(
            visits, value=record.value, key=record.key, headers=record.headers
        )
        greetings = []
        for attempt in range(20):
            records = await read_topic(kafka_bootstrap, GREETINGS.name, expect=1000, timeout=1)
            greetings = [
                decode(REGISTRY, r.value, list(r.headers)) for r in records if r.key == record.key
            ]
            if greetings:
                break
        assert [g.data for g in greetings] == [
            VisitorGreeted(visitor=visitor, words=f"Bonjour, {visitor}!")
        ]
        assert greetings[0].source == "/switchboard/greeter"
        assert (await service.runtime.readiness()).ready
    finally:
        await producer.stop()
        await service.runtime.stop()
