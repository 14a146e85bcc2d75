"""On the real broker and PostgreSQL: a record dead-lettered by one consumer group is
listed, shown, and - once its handler is fixed - replayed to that group only, once in effect.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any, ClassVar

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, delete, func, insert, select
from typer.testing import CliRunner

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope, encode
from switchboard.contracts.registry import Registry
from switchboard.contracts.topics import Topic, dead_letter_topic
from switchboard.dlq.cli import app, list_dead_letters
from switchboard.dlq.replay import replay
from switchboard.servicekit.consumer import ConsumerRunner
from switchboard.servicekit.consumer.dead_letter import REPLAY_GROUP
from switchboard.servicekit.db import create_engine, session_factory
from switchboard.servicekit.kafka import make_producer
from switchboard.servicekit.tables import inbox, kit_metadata
from switchboard.servicekit.testing.helpers import eventually, read_topic
from switchboard.servicekit.testing.topics import create_topics
from switchboard.servicekit.unit_of_work import without_dependencies

pytestmark = pytest.mark.integration

metadata = MetaData()
effects = Table(
    "dlq_effects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("consumer_group", String(100), nullable=False),
    Column("event_id", String(64), nullable=False),
)


async def cli(*args: str) -> Any:
    """The command line, as typed (it runs its own event loop, so in a thread)."""
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


async def test_a_dead_letter_is_replayed_to_its_group_once_and_to_no_other(
    database_url, kafka_bootstrap, topic_name
):
    class Pinged(Event):
        event_type: ClassVar[str] = "test.pinged"
        topic: ClassVar[Topic] = Topic(topic_name, "tests", "key", "test events")
        key_field: ClassVar[str] = "key"
        key: str

    failing, other = f"dlq-a-{uuid.uuid4().hex[:8]}", f"dlq-b-{uuid.uuid4().hex[:8]}"
    await create_topics(kafka_bootstrap, [topic_name], partitions=1)
    await create_topics(kafka_bootstrap, [dead_letter_topic(g) for g in (failing, other)])
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(kit_metadata.create_all)
        await conn.run_sync(metadata.create_all)
    sessions = session_factory(engine)
    registry = Registry()
    registry.register(Pinged)
    fixed = False

    def handler(group: str) -> Any:
        async def record(envelope: Envelope[Any], uow: Any) -> None:
            if group == failing and not fixed:
                raise RuntimeError(f"no route for {envelope.data.key} yet")
            await uow.session.execute(
                insert(effects).values(consumer_group=group, event_id=envelope.id)
            )

        return record

    async def times_applied(group: str, event_id: str) -> int:
        async with sessions() as session:
            query = select(func.count()).where(
                effects.c.consumer_group == group, effects.c.event_id == event_id
            )
            return int(await session.scalar(query) or 0)

    async def send(envelope: Envelope[Any]) -> None:
        record = encode(envelope)
        await producer.send_and_wait(
            topic_name, value=record.value, key=record.key, headers=record.headers
        )

    producer = make_producer(kafka_bootstrap)
    await producer.start()
    runners = [
        ConsumerRunner(
            group_id=group,
            topics=[topic_name],
            bootstrap_servers=kafka_bootstrap,
            registry=registry,
            units=without_dependencies(sessions),
            handlers={Pinged: handler(group)},
            producer=producer,
            max_attempts=2,
            retry_backoff_seconds=0.05,
        )
        for group in (failing, other)
    ]
    for runner in runners:
        await runner.start()
    tasks = [asyncio.create_task(runner.run()) for runner in runners]
    try:
        poison = Envelope(Pinged(key="case-7"), source="/tests")
        await send(poison)
        assert await eventually(lambda: times_applied(other, poison.id)) == 1

        async def dead_letters() -> list[dict[str, Any]]:
            return (await list_dead_letters(kafka_bootstrap, failing))[failing]

        rows = await eventually(dead_letters)
        assert len(rows) == 1
        row = rows[0]
        assert (row["event_type"], row["event_id"]) == ("test.pinged", poison.id)
        assert row["reason"] == "no route for case-7 yet"
        assert (row["error_type"], row["attempts"]) == ("RuntimeError", "2")
        assert row["original"] == f"{topic_name}/0/0"
        assert row["replayed"] is False
        assert (await list_dead_letters(kafka_bootstrap, other))[other] == []

        boot = ["--bootstrap-servers", kafka_bootstrap]
        as_json = json.loads(await cli("list", "-g", failing, "--json", *boot))
        assert as_json == {failing: rows}
        assert "1 dead letters" in await cli("list", "-g", failing, *boot)
        position = str(row["position"])
        shown = await cli("show", position, "-g", failing, *boot)
        assert "reason:    no route for case-7 yet" in shown
        assert f"ce_id: {poison.id}" in shown
        assert '  "key": "case-7"' in shown, "the value is pretty-printed"
        assert "dlq-reason" not in shown.split("original headers:")[1]

        dry = await cli("replay", "-g", failing, "--dry-run", *boot)
        assert f"would replay {position} test.pinged {poison.id} -> {topic_name}" in dry
        assert (await list_dead_letters(kafka_bootstrap, failing))[failing][0]["replayed"] is False

        async with sessions.begin() as session:  # the other group's inbox forgot it by now
            await session.execute(delete(inbox).where(inbox.c.consumer_group == other))
        fixed = True
        assert "1 dead letter(s) replayed" in await cli("replay", "-g", failing, *boot)
        assert await eventually(lambda: times_applied(failing, poison.id)) == 1
        assert (await list_dead_letters(kafka_bootstrap, failing))[failing][0]["replayed"] is True
        assert await replay(kafka_bootstrap, failing) == [], "nothing left to replay"

        partition, offset = (int(part) for part in position.split(":"))
        again = await replay(kafka_bootstrap, failing, [(partition, offset)])
        assert [item.sent for item in again] == [True], "--offset replays it whatever was done"
        after = Envelope(Pinged(key="case-7"), source="/tests")  # behind both replays
        await send(after)
        for group in (failing, other):
            assert await eventually(lambda g=group: times_applied(g, after.id)) == 1
        assert await times_applied(failing, poison.id) == 1, "the second replay changed nothing"
        assert await times_applied(other, poison.id) == 1, "the other group saw no replay"

        on_topic = await read_topic(kafka_bootstrap, topic_name, expect=4)
        replays = [dict(r.headers) for r in on_topic[1:3]]
        assert [h.get(REPLAY_GROUP) for h in replays] == [failing.encode()] * 2
        assert all(h["ce_id"] == poison.id.encode() for h in replays)
        assert all(r.key == b"case-7" for r in on_topic)
        assert (await list_dead_letters(kafka_bootstrap, other))[other] == []
    finally:
        for runner in runners:
            await runner.stop()
        await asyncio.gather(*tasks)
        await producer.stop()
        await engine.dispose()
