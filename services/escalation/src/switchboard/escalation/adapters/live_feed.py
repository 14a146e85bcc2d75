"""Fans the escalations topic out to live subscribers (the SSE streams) of this replica.

Every replica reads the whole topic without a consumer group, from its end, so a
coordinator connected to any replica sees escalations raised by all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer

from switchboard.contracts.envelope import UndecodableEvent, decode
from switchboard.contracts.registry import Registry
from switchboard.servicekit.auth import Principal
from switchboard.servicekit.consumer.dead_letter import replay_group
from switchboard.servicekit.kafka import KafkaConnection, connection_of

log = logging.getLogger(__name__)
QUEUE_LIMIT = 1000


@dataclass(frozen=True)
class LiveEvent:
    id: str
    type: str
    region: str
    data: str

    def as_sse(self) -> str:
        return f"id: {self.id}\nevent: {self.type}\ndata: {self.data}\n\n"


@dataclass(eq=False)
class Subscription:
    principal: Principal
    queue: asyncio.Queue[LiveEvent] = field(
        default_factory=lambda: asyncio.Queue(maxsize=QUEUE_LIMIT)
    )

    def offer(self, event: LiveEvent) -> None:
        if not self.principal.covers(event.region):
            return
        if self.queue.full():  # a slow reader loses the oldest, never blocks the feed
            self.queue.get_nowait()
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

    @contextlib.contextmanager
    def subscribe(self, principal: Principal) -> Iterator[Subscription]:
        subscription = Subscription(principal)
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

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(
            self._topic,
            **connection_of(self._bootstrap_servers).client_options(),
            group_id=None,
            auto_offset_reset="latest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            await self._position_at_end(consumer)
            self.ready.set()
            while not self._stopping.is_set():
                batches = await consumer.getmany(timeout_ms=200)
                for records in batches.values():
                    for record in records:
                        self._forward(record.value, list(record.headers))
        finally:
            self.ready.clear()
            await consumer.stop()

    async def _position_at_end(self, consumer: AIOKafkaConsumer) -> None:
        while not consumer.assignment() and not self._stopping.is_set():
            await consumer.getmany(timeout_ms=100)
        for partition in consumer.assignment():
            await consumer.position(partition)

    def _forward(self, value: bytes | None, headers: list[tuple[str, bytes]]) -> None:
        if not self._subscriptions:  # nobody watches: no need to decode (bursts of raises)
            return
        if replay_group(headers) is not None:  # a dead letter replayed: shown once already
            return
        try:
            envelope = decode(self._registry, value, headers)
        except UndecodableEvent:
            log.warning("skipping an undecodable record on %s", self._topic)
            return
        data = envelope.data.model_dump(mode="json")
        self.publish(
            LiveEvent(
                id=envelope.id,
                type=envelope.type,
                region=str(data.get("region", "")),
                data=json.dumps(data, separators=(",", ":"), ensure_ascii=False),
            )
        )
