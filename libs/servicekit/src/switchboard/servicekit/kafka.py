"""Kafka clients as every service uses them."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from switchboard.servicekit.metrics import DEPENDENCY_UP

log = logging.getLogger(__name__)


def make_producer(bootstrap_servers: str, *, client_id: str | None = None) -> AIOKafkaProducer:
    """An idempotent producer (acks=all). No linger: the relay already hands over one
    record batch per partition, so waiting would only add latency."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=0,
        max_batch_size=256 * 1024,
        request_timeout_ms=15000,
    )


async def ensure_topics(
    bootstrap_servers: str, names: Iterable[str], *, partitions: int = 3
) -> None:
    """Create the topics that do not exist yet (replication 1 suits the local broker)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in names if n not in existing]
        if not missing:
            return
        try:
            await admin.create_topics(
                [NewTopic(n, num_partitions=partitions, replication_factor=1) for n in missing]
            )
        except TopicAlreadyExistsError:
            log.info("topics created concurrently by another process")
    finally:
        await admin.close()


class BrokerProbe:
    """Whether the broker answers a metadata request, asked at most once per ``ttl``
    seconds through the service's own producer (no extra connections)."""

    def __init__(self, producer: AIOKafkaProducer, *, ttl: float = 1.0, timeout: float = 2.0):
        self._producer = producer
        self._ttl = ttl
        self._timeout = timeout
        self._checked_at = -float("inf")
        self._reachable = True
        self._lock = asyncio.Lock()

    async def reachable(self) -> bool:
        async with self._lock:
            if time.monotonic() - self._checked_at < self._ttl:
                return self._reachable
            try:
                await asyncio.wait_for(
                    self._producer.client.fetch_all_metadata(), timeout=self._timeout
                )
                self._reachable = True
            except Exception:
                self._reachable = False
            self._checked_at = time.monotonic()
            DEPENDENCY_UP.labels("broker").set(1 if self._reachable else 0)
            return self._reachable
