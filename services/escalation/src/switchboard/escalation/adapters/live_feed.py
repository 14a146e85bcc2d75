"""Fans the escalations topic out to live subscribers (the SSE streams) of this replica, and
replays what a reconnecting client missed.

Every replica reads the whole topic without a consumer group, from its end, so a
coordinator connected to any replica sees escalations raised by all of them.

An event's SSE id is a ``Cursor``: for every partition of the topic, the offset after the
last record the stream has passed there (``0:15,1:3,2:9``). It names a position in the
topic itself, so it means the same on every replica: a client that reconnects — to this
replica or another — with ``Last-Event-ID`` gets every record after it (read again from
Kafka, filtered by region as live ones are), then the live ones, none twice (a record
below the stream's cursor for its partition is never sent).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition

from switchboard.contracts.envelope import UndecodableEvent, decode
from switchboard.contracts.registry import Registry
from switchboard.servicekit.auth import Principal
from switchboard.servicekit.consumer.dead_letter import replay_group
from switchboard.servicekit.kafka import KafkaConnection, connection_of
from switchboard.servicekit.kafka_positions import ReadPositions

log = logging.getLogger(__name__)
QUEUE_LIMIT = 1000
MAX_CURSOR_PARTITIONS = 1024
REPLAY_SECONDS = 30.0
"""A replay that takes longer ends the stream where it got to; the client resumes there."""


class ReplayUnfinished(RuntimeError):
    """The replay did not reach its end in time; what it sent stands."""


class Cursor(dict[int, int]):
    """Partition -> the offset after the last record passed there."""

    def text(self) -> str:
        return ",".join(f"{partition}:{offset}" for partition, offset in sorted(self.items()))

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        """A ``Last-Event-ID``'s cursor; None when absent or not one of ours."""
        if not text or len(text) > 16 * MAX_CURSOR_PARTITIONS:
            return None
        cursor = cls()
        for part in text.split(","):
            partition, colon, offset = part.partition(":")
            if not (colon and partition.isdigit() and offset.isdigit()):
                return None
            cursor[int(partition)] = int(offset)
        return cursor

    def catch_up(self, positions: Mapping[int, int]) -> None:
        """Moves to ``positions`` wherever they are ahead."""
        for partition, offset in positions.items():
            if offset > self.get(partition, 0):
                self[partition] = offset

    def passes(self, event: LiveEvent) -> bool:
        """Whether ``event`` is after the cursor; if so the cursor moves past it."""
        if event.offset < self.get(event.partition, 0):
            return False
        self[event.partition] = event.offset + 1
        return True


@dataclass(frozen=True)
class LiveEvent:
    partition: int
    offset: int
    type: str
    region: str
    data: str

    def as_sse(self, cursor: Cursor) -> str:
        return f"id: {cursor.text()}\nevent: {self.type}\ndata: {self.data}\n\n"


@dataclass(eq=False)
class Subscription:
    principal: Principal
    start: Cursor
    """The feed's position when subscribing: every record from here on is offered."""
    queue: asyncio.Queue[LiveEvent] = field(
        default_factory=lambda: asyncio.Queue(maxsize=QUEUE_LIMIT)
    )
    lost: bool = False
    """The reader fell ``QUEUE_LIMIT`` events behind: nothing more is queued, and the
    stream ends once the queue is drained (the client resumes from its last id)."""

    def offer(self, event: LiveEvent) -> None:
        if self.lost or not self.principal.covers(event.region):
            return
        if self.queue.full():
            self.lost = True
            return
        self.queue.put_nowait(event)


class LiveFeed:
    def __init__(
        self, *, bootstrap_servers: str | KafkaConnection, topic: str, registry: Registry
    ) -> None:
        self._bootstrap_servers = bootstrap_servers
        self._topic = topic
        self._registry = registry
        self._subscriptions: set[Subscription] = set()
        self._stopping = asyncio.Event()
        self.ready = asyncio.Event()
        self.positions = Cursor()
        """The offset after the last record read, per partition (every partition once
        ready); a restarted run resumes here, so live subscribers miss nothing."""

    @contextlib.contextmanager
    def subscribe(self, principal: Principal) -> Iterator[Subscription]:
        subscription = Subscription(principal, Cursor(self.positions))
        self._subscriptions.add(subscription)
        try:
            yield subscription
        finally:
            self._subscriptions.discard(subscription)

    def publish(self, event: LiveEvent) -> None:
        for subscription in list(self._subscriptions):
            subscription.offer(event)

    def stop(self) -> None:
        self._stopping.set()

    def _consumer(self, *topics: str, reset: str) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            *topics,
            **connection_of(self._bootstrap_servers).client_options(),
            group_id=None,
            auto_offset_reset=reset,
            enable_auto_commit=False,
        )

    async def run(self) -> None:
        consumer = self._consumer(self._topic, reset="latest")
        await consumer.start()
        try:
            read = await self._position(consumer)
            self.ready.set()
            while not self._stopping.is_set():
                batches = await consumer.getmany(timeout_ms=200)
                for record in read.take_all(consumer, batches):
                    self._forward(
                        record.partition, record.offset, record.value, list(record.headers)
                    )
        finally:
            self.ready.clear()
            await consumer.stop()

    async def _position(self, consumer: AIOKafkaConsumer) -> ReadPositions:
        """Every partition, from where the last run stopped, or (the first run) its end;
        held there when the consumer re-assigns itself the partitions (a partition added
        meanwhile is read from its start)."""
        while not consumer.assignment() and not self._stopping.is_set():
            await consumer.getmany(timeout_ms=100)  # before anyone subscribes: dropped
        read = ReadPositions()
        for tp in consumer.assignment():
            if tp.partition in self.positions:
                consumer.seek(tp, self.positions[tp.partition])
            else:
                self.positions[tp.partition] = await consumer.position(tp)
            read.pin(tp, self.positions[tp.partition])
        return read

    def _forward(
        self, partition: int, offset: int, value: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        self.positions[partition] = offset + 1
        if not self._subscriptions:  # nobody watches: no need to decode (bursts of raises)
            return
        if (event := self._event(partition, offset, value, headers)) is not None:
            self.publish(event)

    def _event(
        self, partition: int, offset: int, value: bytes | None, headers: list[tuple[str, bytes]]
    ) -> LiveEvent | None:
        """The record as shown, or None: a dead letter replayed for a consumer group (shown
        once already, when it was raised) or an undecodable record."""
        if replay_group(headers) is not None:
            return None
        try:
            envelope = decode(self._registry, value, headers)
        except UndecodableEvent:
            log.warning("skipping an undecodable record on %s", self._topic)
            return None
        data = envelope.data.model_dump(mode="json")
        return LiveEvent(
            partition=partition,
            offset=offset,
            type=envelope.type,
            region=str(data.get("region", "")),
            data=json.dumps(data, separators=(",", ":"), ensure_ascii=False),
        )

    async def replay(
        self, after: Mapping[int, int], until: Mapping[int, int]
    ) -> AsyncIterator[LiveEvent]:
        """The records from ``after`` up to (without) ``until``, partition by partition,
        read from Kafka with a consumer of their own; a partition missing from ``after``
        from its beginning. Raises ReplayUnfinished after ``REPLAY_SECONDS``."""
        wanted = {p: (after.get(p, 0), end) for p, end in until.items() if after.get(p, 0) < end}
        if not wanted:
            return
        consumer = self._consumer(reset="earliest")
        await consumer.start()
        try:
            assigned = [TopicPartition(self._topic, p) for p in sorted(wanted)]
            consumer.assign(assigned)
            for tp in assigned:
                consumer.seek(tp, wanted[tp.partition][0])
            deadline = time.monotonic() + REPLAY_SECONDS
            remaining = set(assigned)
            while remaining and time.monotonic() < deadline:
                batches = await consumer.getmany(*remaining, timeout_ms=200)
                for tp, records in batches.items():
                    end = wanted[tp.partition][1]
                    for record in records:
                        if record.offset >= end:
                            break
                        event = self._event(
                            tp.partition, record.offset, record.value, list(record.headers)
                        )
                        if event is not None:
                            yield event
                for tp in list(remaining):
                    if await consumer.position(tp) >= wanted[tp.partition][1]:
                        remaining.discard(tp)
        finally:
            await consumer.stop()
        if remaining:
            raise ReplayUnfinished(f"{len(remaining)} partitions not replayed in time")


async def follow(
    feed: LiveFeed,
    principal: Principal,
    *,
    resume_from: Cursor | None = None,
    heartbeat: float = 15.0,
    ready_seconds: float = 10.0,
) -> AsyncGenerator[str]:
    """The SSE frames of one stream: with ``resume_from`` (a ``Last-Event-ID``), first every
    event after it, then live ones; each event once, only of ``principal``'s regions. Ends
    when the feed cannot say where the stream starts, when a replay is unfinished or when
    the reader fell behind: the client reconnects with the last id it got."""
    try:
        await asyncio.wait_for(feed.ready.wait(), ready_seconds)
    except TimeoutError:
        yield "retry: 3000\n: the live feed is not reading the topic yet\n\n"
        return
    with feed.subscribe(principal) as subscription:
        cursor = Cursor(subscription.start)
        if resume_from is None:
            # An id at once: a client cut off before its first event resumes from here.
            yield f"retry: 3000\nid: {cursor.text()}\n: connected\n\n"
        else:
            yield "retry: 3000\n: connected\n\n"
            # A partition the id does not name is one this client never read: from where
            # this stream starts (not from the partition's beginning). An offset past it
            # is no place in this topic (recreated since, or a made-up id): from there too.
            after = Cursor(
                {p: min(resume_from.get(p, start), start) for p, start in cursor.items()}
            )
            cursor = Cursor(after)
            try:
                async for event in feed.replay(after, subscription.start):
                    # The cursor moves past every record read, shown or not (another
                    # region's): the id a client holds never points behind what it saw.
                    if cursor.passes(event) and principal.covers(event.region):
                        yield event.as_sse(cursor)
            except ReplayUnfinished:
                # Where it got to, past other regions' records too: the next try goes on.
                yield f"id: {cursor.text()}\n\n"
                return
            cursor.catch_up(subscription.start)
            yield f"id: {cursor.text()}\n\n"
        while not (subscription.lost and subscription.queue.empty()):
            try:
                event = await asyncio.wait_for(subscription.queue.get(), heartbeat)
            except TimeoutError:
                if subscription.queue.empty() and not subscription.lost:
                    # Nothing of this client's regions is waiting, so every record the feed
                    # has read is behind it: a quiet region's id moves on too.
                    cursor.catch_up(feed.positions)
                yield f"id: {cursor.text()}\n: keep-alive\n\n"
                continue
            if cursor.passes(event):
                yield event.as_sse(cursor)
