"""Two replicas' live feeds on a real broker: a coordinator's stream on replica A stops
(A is gone) and the client reconnects to replica B with the last id it got. B replays
every event of the coordinator's regions after that id, then streams live ones: each
exactly once, none of another region."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncGenerator
from typing import ClassVar

import pytest
from aiokafka import AIOKafkaProducer

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope, encode
from switchboard.contracts.registry import Registry
from switchboard.contracts.topics import Topic
from switchboard.escalation.adapters.live_feed import Cursor, LiveFeed, follow
from switchboard.servicekit.auth import Principal, Role
from switchboard.servicekit.testing.topics import create_topics

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


class Flagged(Event):
    event_type: ClassVar[str] = "test.flagged"
    topic: ClassVar[Topic] = Topic("test-flagged", "tests", "key", "test events")
    key_field: ClassVar[str] = "key"
    key: str
    region: str


def frame_fields(frame: str) -> dict[str, str]:
    fields = {}
    for line in frame.strip("\n").split("\n"):
        name, _, value = line.partition(": ")
        fields[name] = value
    return fields


class Reader:
    """A client of one stream: the events' keys and the last id, as a browser keeps it."""

    def __init__(self, frames: AsyncGenerator[str]) -> None:
        self.frames = frames
        self.keys: list[str] = []
        self.last_id: str | None = None
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for frame in self.frames:
            fields = frame_fields(frame)
            if "id" in fields:  # a frame with an id and no data moves it too
                self.last_id = fields["id"]
            if "data" in fields:
                self.keys.append(fields["data"].split('"key":"')[1].split('"')[0])

    async def until(self, count: int, timeout: float = 30) -> None:
        async with asyncio.timeout(timeout):
            while len(self.keys) < count:
                await asyncio.sleep(0.02)

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        await self.frames.aclose()


async def test_a_stream_resumes_on_another_replica_without_a_gap_or_a_repeat(
    kafka_bootstrap: str,
) -> None:
    topic = f"test-live-{uuid.uuid4().hex[:8]}"
    await create_topics(kafka_bootstrap, [topic], partitions=3)
    registry = Registry()
    registry.register(Flagged)
    feeds = [
        LiveFeed(bootstrap_servers=kafka_bootstrap, topic=topic, registry=registry) for _ in "AB"
    ]
    runs = [asyncio.create_task(feed.run()) for feed in feeds]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    nils = Principal("nils", Role.COORDINATOR, frozenset({"nordics"}))
    ours: list[str] = []

    async def raise_events(count: int) -> None:
        for n in range(count):
            region = "nordics" if n % 3 else "dach"
            key = f"e-{len(ours)}-{region}-{uuid.uuid4().hex[:4]}"
            if region == "nordics":
                ours.append(key)
            record = encode(Envelope(Flagged(key=key, region=region), source="/tests"))
            await producer.send_and_wait(
                topic, record.value, key=record.key, headers=record.headers
            )

    try:
        for feed in feeds:
            await asyncio.wait_for(feed.ready.wait(), 30)
        on_a = Reader(follow(feeds[0], nils, heartbeat=0.5))
        zofia = Principal("zofia", Role.COORDINATOR, frozenset({"poland"}))
        quiet = Reader(follow(feeds[0], zofia, heartbeat=0.5))
        await asyncio.sleep(0.2)
        assert quiet.last_id is not None, "an id comes at once, before any event"
        await raise_events(15)  # 10 of nils' regions
        await on_a.until(10)
        await asyncio.sleep(1.2)  # a heartbeat or two
        # A quiet region's client saw nothing, yet its id moved past everything read: a
        # reconnect replays nothing instead of every other region's records since it came.
        assert quiet.keys == []
        assert quiet.last_id == feeds[0].positions.text()
        await quiet.close()
        # Replica A goes away with everything after this id unsent to its client...
        await on_a.close()
        feeds[0].stop()
        runs[0].cancel()
        seen_on_a = list(on_a.keys)
        await raise_events(30)  # ...while 20 more of nils' are raised
        await asyncio.sleep(1.0)  # B's live feed has read them all: they are B's past now
        assert on_a.last_id is not None
        on_b = Reader(follow(feeds[1], nils, resume_from=Cursor.parse(on_a.last_id), heartbeat=0.5))
        await on_b.until(20)
        await raise_events(9)  # and live ones on B
        await on_b.until(26)
        await asyncio.sleep(1.0)  # nothing more comes (a repeat would)
        await on_b.close()
        assert sorted(seen_on_a + on_b.keys) == sorted(ours)
        assert len(seen_on_a + on_b.keys) == len(set(seen_on_a + on_b.keys)) == 36
    finally:
        await producer.stop()
        for feed in feeds:
            feed.stop()
        for run in runs:
            with contextlib.suppress(asyncio.CancelledError):
                await run
