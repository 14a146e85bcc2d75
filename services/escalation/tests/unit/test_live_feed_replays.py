"""The live feed shows an event once: a dead letter replayed for a consumer group is not
shown again (coordinators saw the original when it was raised); a stream's ids are cursors
over the topic's partitions, and a stream never passes an event twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import ClassVar

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope, encode
from switchboard.contracts.registry import Registry
from switchboard.contracts.topics import Topic
from switchboard.escalation.adapters.live_feed import (
    Cursor,
    LiveEvent,
    LiveFeed,
    ReplayUnfinished,
    Subscription,
    follow,
)
from switchboard.servicekit.auth import Principal, Role
from switchboard.servicekit.consumer.dead_letter import replay_headers


class Flagged(Event):
    event_type: ClassVar[str] = "test.flagged"
    topic: ClassVar[Topic] = Topic("test-flagged", "tests", "key", "test events")
    key_field: ClassVar[str] = "key"
    key: str
    region: str


def test_a_replayed_record_is_not_shown_twice():
    registry = Registry()
    registry.register(Flagged)
    feed = LiveFeed(bootstrap_servers="127.0.0.1:9", topic="test-flagged", registry=registry)
    record = encode(Envelope(Flagged(key="e-1", region="nordics"), source="/tests"))
    replayed = replay_headers(record.headers, group="escalation", source=("dlq", 0, 3))
    with feed.subscribe(Principal("root", Role.ADMIN)) as subscription:
        feed._forward(0, 7, record.value, list(record.headers))
        feed._forward(0, 8, record.value, replayed)
        assert subscription.queue.qsize() == 1
        event = subscription.queue.get_nowait()
        assert (event.region, event.partition, event.offset) == ("nordics", 0, 7)
    assert feed.positions == {0: 9}  # past both records, the skipped one too


def event(partition: int, offset: int, region: str = "nordics") -> LiveEvent:
    return LiveEvent(partition, offset, "test.flagged", region, "{}")


def test_a_cursor_is_its_text_and_passes_each_event_once():
    cursor = Cursor({0: 15, 2: 9, 1: 3})
    assert cursor.text() == "0:15,1:3,2:9"
    assert Cursor.parse("0:15,1:3,2:9") == cursor
    for foreign in (None, "", "2b1e0f5c-uuid", "0:15,,1:3", "0:-1", "x:1", "0:1" * 20000):
        assert Cursor.parse(foreign) is None
    assert not cursor.passes(event(0, 14))  # before the cursor: sent already
    assert cursor.passes(event(0, 15))
    assert not cursor.passes(event(0, 15))  # never twice
    assert cursor.passes(event(3, 0))  # a partition the cursor has not seen: from its start
    assert cursor.text() == "0:16,1:3,2:9,3:1"


def test_a_reader_that_falls_behind_is_cut_off_rather_than_silently_skipped():
    subscription = Subscription(
        Principal("nils", Role.COORDINATOR, frozenset({"nordics"})), Cursor()
    )
    subscription.offer(event(0, 0, region="dach"))  # not theirs: not queued
    assert subscription.queue.empty()
    for offset in range(subscription.queue.maxsize + 5):
        subscription.offer(event(0, offset))
    assert subscription.lost
    assert subscription.queue.qsize() == subscription.queue.maxsize
    assert subscription.queue.get_nowait().offset == 0  # the oldest kept, the newest refused


class ReplayingFeed(LiveFeed):
    """A feed that has read the topic up to ``positions`` and replays ``backlog`` (then
    runs out of time, if ``unfinished``) instead of reading Kafka again."""

    def __init__(self, positions: dict[int, int], backlog: list[LiveEvent], unfinished: bool):
        registry = Registry()
        registry.register(Flagged)
        super().__init__(bootstrap_servers="127.0.0.1:9", topic="test-flagged", registry=registry)
        self.positions = Cursor(positions)
        self.ready.set()
        self.backlog, self.unfinished = backlog, unfinished

    async def replay(
        self, after: Mapping[int, int], until: Mapping[int, int]
    ) -> AsyncIterator[LiveEvent]:
        for replayed in self.backlog:
            if after.get(replayed.partition, 0) <= replayed.offset < until[replayed.partition]:
                yield replayed
        if self.unfinished:
            raise ReplayUnfinished("1 partitions not replayed in time")


NILS = Principal("nils", Role.COORDINATOR, frozenset({"nordics"}))


async def test_an_unfinished_replay_hands_the_client_the_place_it_got_to():
    """Found by review: a replay past other regions' records that ran out of time ended
    the stream without an id, so the client resumed from the same place, again and again."""
    backlog = [event(0, offset, region="dach") for offset in range(2, 6)]
    feed = ReplayingFeed({0: 10}, backlog, unfinished=True)
    frames = [f async for f in follow(feed, NILS, resume_from=Cursor({0: 2}))]
    assert frames[-1] == "id: 0:6\n\n"


async def test_an_id_beyond_the_topic_resumes_where_the_stream_starts():
    """Found by review: a Last-Event-ID past a partition's end (the topic was recreated,
    or the id forged) made the stream drop every live event of that partition."""
    feed = ReplayingFeed({0: 5, 1: 3}, [], unfinished=False)
    frames = follow(feed, NILS, resume_from=Cursor({0: 50, 1: 3}), heartbeat=5)
    async with asyncio.timeout(5):
        assert await anext(frames) == "retry: 3000\n: connected\n\n"
        assert await anext(frames) == "id: 0:5,1:3\n\n"
        record = encode(Envelope(Flagged(key="e-1", region="nordics"), source="/tests"))
        feed._forward(0, 5, record.value, list(record.headers))
        shown = await anext(frames)
    await frames.aclose()
    assert shown.startswith("id: 0:6,1:3\nevent: test.flagged\n")
