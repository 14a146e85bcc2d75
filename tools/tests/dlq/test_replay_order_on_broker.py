"""On the real broker and PostgreSQL: a dead letter older than events its group applied since
for the same key is shown as such and not replayed without --force; one without is."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any, ClassVar

import pytest
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete
from typer.testing import CliRunner

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope, encode
from switchboard.contracts.registry import Registry
from switchboard.contracts.topics import Topic, dead_letter_topic
from switchboard.dlq.cli import app, list_dead_letters
from switchboard.dlq.replay import OlderThanApplied, replay
from switchboard.servicekit.consumer import ConsumerRunner
from switchboard.servicekit.db import create_engine, session_factory
from switchboard.servicekit.kafka import make_producer
from switchboard.servicekit.tables import kit_metadata
from switchboard.servicekit.testing.helpers import eventually, read_topic
from switchboard.servicekit.testing.topics import create_topics
from switchboard.servicekit.unit_of_work import without_dependencies

pytestmark = pytest.mark.integration


async def test_a_dead_letter_older_than_what_its_group_applied_is_not_replayed_unforced(
    database_url, kafka_bootstrap, topic_name
):
    class StatusSet(Event):
        event_type: ClassVar[str] = "test.status-set"
        topic: ClassVar[Topic] = Topic(topic_name, "tests", "key", "test events")
        key_field: ClassVar[str] = "key"
        key: str
        status: str

    group = f"dlq-order-{uuid.uuid4().hex[:8]}"
    await create_topics(kafka_bootstrap, [topic_name], partitions=1)
    await create_topics(kafka_bootstrap, [dead_letter_topic(group)])
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(kit_metadata.create_all)
    sessions = session_factory(engine)
    registry = Registry()
    registry.register(StatusSet)
    applied: dict[str, str] = {}

    async def set_status(envelope: Envelope[Any], uow: Any) -> None:
        if envelope.data.status == "poison":
            raise RuntimeError(f"cannot set {envelope.data.key}")
        applied[envelope.data.key] = envelope.data.status

    producer = make_producer(kafka_bootstrap)
    await producer.start()
    runner = ConsumerRunner(
        group_id=group,
        topics=[topic_name],
        bootstrap_servers=kafka_bootstrap,
        registry=registry,
        units=without_dependencies(sessions),
        handlers={StatusSet: set_status},
        producer=producer,
        max_attempts=1,
        retry_backoff_seconds=0.05,
    )
    await runner.start()
    task = asyncio.create_task(runner.run())

    async def send(key: str, status: str) -> None:
        record = encode(Envelope(StatusSet(key=key, status=status), source="/tests"))
        await producer.send_and_wait(
            topic_name, value=record.value, key=record.key, headers=record.headers
        )

    try:
        await send("case-1", "poison")  # offset 0: dead-lettered
        await send("case-2", "poison")  # offset 1: dead-lettered
        await send("case-1", "resolved")  # offset 2: newer, applied
        await send("case-3", "open")  # offset 3: another key
        await send("case-2", "poison")  # offset 4: dead-lettered too, never applied

        async def both_dead() -> list[dict[str, Any]] | None:
            rows = (await list_dead_letters(kafka_bootstrap, group))[group]
            return rows if len(rows) == 3 else None

        rows = await eventually(both_dead)

        async def case_3() -> str | None:
            return applied.get("case-3")

        assert await eventually(case_3) == "open"
        assert applied == {"case-1": "resolved", "case-3": "open"}
        by_original = {row["original"]: row for row in rows}
        assert by_original[f"{topic_name}/0/0"]["newer_for_key"] == 1
        assert by_original[f"{topic_name}/0/1"]["newer_for_key"] == 0, "a dead letter is not"
        assert by_original[f"{topic_name}/0/4"]["newer_for_key"] == 0
        stale, fine = (str(by_original[f"{topic_name}/0/{n}"]["position"]) for n in (0, 1))

        boot = ["--bootstrap-servers", kafka_bootstrap]
        runner_cli = CliRunner()
        listed = await asyncio.to_thread(
            runner_cli.invoke, app, ["list", "-g", group, "--json", *boot]
        )
        assert json.loads(listed.output) == {group: rows}
        dry = await asyncio.to_thread(
            runner_cli.invoke, app, ["replay", "-g", group, "--dry-run", *boot]
        )
        assert f"would replay {stale} test.status-set" in dry.output
        assert "(after 1 newer event(s) for its key)" in dry.output

        refused = await asyncio.to_thread(runner_cli.invoke, app, ["replay", "-g", group, *boot])
        assert refused.exit_code == 1
        assert "1 dead letter(s) are older than events their consumer group applied" in (
            refused.output
        )
        assert "newer for key case-1 (2 test.status-set)" in refused.output
        assert "--force" in refused.output
        stale_partition, stale_offset = (int(part) for part in stale.split(":"))
        with pytest.raises(OlderThanApplied):
            await replay(kafka_bootstrap, group, [(stale_partition, stale_offset)])
        assert len(await read_topic(kafka_bootstrap, topic_name, expect=5)) == 5, "none sent"

        partition, offset = (int(part) for part in fine.split(":"))
        sent = await replay(kafka_bootstrap, group, [(partition, offset)])
        assert [(item.sent, item.newer) for item in sent] == [(True, ())]

        forced = await asyncio.to_thread(
            runner_cli.invoke, app, ["replay", "-g", group, "--offset", stale, "--force", *boot]
        )
        assert forced.exit_code == 0, forced.output
        assert "(after 1 newer event(s) for its key)" in forced.output
        on_topic = await read_topic(kafka_bootstrap, topic_name, expect=7)
        assert [record.key for record in on_topic[5:]] == [b"case-2", b"case-1"]
        assert json.loads(on_topic[6].value)["status"] == "poison"

        # Retention took the source partition's first records: the newer event is still
        # found (read from the oldest record kept, not from the partition's end).
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        await admin.start()
        try:
            await admin.delete_records({TopicPartition(topic_name, 0): RecordsToDelete(2)}, 10_000)
        finally:
            await admin.close()
        after = (await list_dead_letters(kafka_bootstrap, group))[group]
        assert {row["original"]: row["newer_for_key"] for row in after}[f"{topic_name}/0/0"] == 1
    finally:
        await runner.stop()
        await task
        await producer.stop()
        await engine.dispose()
