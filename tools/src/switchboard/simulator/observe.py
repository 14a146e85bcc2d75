"""Public topics read as any subscriber reads them, decoded with the contracts registry and
handed to whoever reacts: the simulator's agents, customers and tallies (from the end), or
a test's log of everything (from the start)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer

from switchboard.contracts.envelope import Envelope, UndecodableEvent, decode
from switchboard.contracts.events import REGISTRY
from switchboard.contracts.topics import AGENT_STATUS, ASSIGNMENTS, ESCALATIONS, SLA, SURVEYS
from switchboard.servicekit.kafka_positions import ReadPositions

TOPICS = tuple(topic.name for topic in (ASSIGNMENTS, AGENT_STATUS, SLA, ESCALATIONS, SURVEYS))


class EventFeed:
    """Reads ``topics`` from their end as of ``start()`` (or from their start); each decoded
    envelope goes to ``handle``, once and in order per partition, also when the consumer
    re-assigns itself its partitions (``ReadPositions``). A record the registry cannot
    decode (another producer's) is skipped."""

    def __init__(
        self,
        bootstrap: str,
        handle: Callable[[Envelope[Any]], None],
        *,
        topics: Iterable[str] = TOPICS,
        from_start: bool = False,
    ) -> None:
        self._handle = handle
        self.topics = tuple(topics)
        self._consumer = AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=bootstrap,
            group_id=None,
            auto_offset_reset="earliest" if from_start else "latest",
            enable_auto_commit=False,
        )
        self._positions = ReadPositions()
        self._task: asyncio.Task[None] | None = None

    async def start(self, *, timeout: float = 15.0) -> None:
        await self._consumer.start()
        try:
            await self._pin_positions(timeout)
        except BaseException:
            await self._consumer.stop()
            raise
        self._task = asyncio.create_task(self._run())

    async def _pin_positions(self, timeout: float) -> None:
        """Resolve every partition's position now, so nothing produced after ``start()``
        returns is skipped by a later 'latest' reset."""
        deadline = time.monotonic() + timeout
        while {tp.topic for tp in self._consumer.assignment()} != set(self.topics):
            if time.monotonic() > deadline:
                missing = set(self.topics) - {tp.topic for tp in self._consumer.assignment()}
                raise RuntimeError(f"no partitions of {sorted(missing)} on the broker")
            await asyncio.sleep(0.1)
        for partition in self._consumer.assignment():
            self._positions.pin(partition, await self._consumer.position(partition))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            await self._consumer.stop()
        except asyncio.CancelledError:
            # aiokafka 0.14's fetcher awaits the retry tasks it has just cancelled, which
            # raises here when the broker is away as we stop: its cancellation, not ours.
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise

    async def _run(self) -> None:
        while True:
            batch = await self._consumer.getmany(timeout_ms=200)
            for record in self._positions.take_all(self._consumer, batch):
                try:
                    envelope = decode(REGISTRY, record.value, list(record.headers))
                except UndecodableEvent:
                    continue
                self._handle(envelope)
