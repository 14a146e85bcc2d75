"""The launched broker and database server behave like the real thing they are."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy.engine import make_url

from switchboard.servicekit.testing.plugin import create_topics

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


async def produce(bootstrap: str, topic: str, *values: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=b"k")
    finally:
        await producer.stop()


async def consume(bootstrap: str, topic: str, *, expect: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    values: list[bytes] = []
    try:
        async with asyncio.timeout(30):
            while len(values) < expect:
                batch = await consumer.getmany(timeout_ms=500)
                values.extend(r.value for records in batch.values() for r in records)
    finally:
        await consumer.stop()
    return values


async def test_round_trip(kafka_bootstrap, topic_name):
    await create_topics(kafka_bootstrap, [topic_name], partitions=3)
    await produce(kafka_bootstrap, topic_name, b"one", b"two")
    assert await consume(kafka_bootstrap, topic_name, expect=2) == [b"one", b"two"]


async def test_auto_created_topic_gets_the_configured_partitions(kafka_bootstrap, topic_name):
    await produce(kafka_bootstrap, topic_name, b"hello")
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic_name])
    finally:
        await admin.close()
    assert len(described["partitions"]) == 3


async def test_messages_survive_a_broker_restart(kafka_broker, topic_name):
    if not kafka_broker.restartable:
        pytest.skip("an external broker cannot be restarted by a test")
    bootstrap = kafka_broker.bootstrap_servers
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await create_topics(bootstrap, [topic_name])
    await producer.start()
    try:
        await producer.send_and_wait(topic_name, b"before", key=b"k")
        await asyncio.to_thread(kafka_broker.stop)
        await asyncio.to_thread(kafka_broker.start)
        assert kafka_broker.bootstrap_servers == bootstrap
        # The producer started before the restart reconnects to the same address.
        await producer.send_and_wait(topic_name, b"after", key=b"k")
    finally:
        await producer.stop()
    assert await consume(bootstrap, topic_name, expect=2) == [b"before", b"after"]


async def test_fresh_database_answers_asyncpg(database_url):
    url = make_url(database_url)
    assert url.drivername == "postgresql+asyncpg"
    connection = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(False))
    try:
        await connection.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)")
        await connection.execute("INSERT INTO notes VALUES (1, 'héllo')")
        assert await connection.fetchval("SELECT body FROM notes WHERE id = 1") == "héllo"
        assert await connection.fetchval("SELECT current_database()") == url.database
    finally:
        await connection.close()


def test_each_call_of_the_factory_gives_another_database(database_factory, postgres_server):
    first, second = database_factory("intake"), database_factory("routing")
    assert first != second
    name = make_url(first).database
    assert postgres_server.create_database(name) == first, "creating twice is harmless"
