"""Creating test topics up front, so that no test races the broker's auto-creation."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable


async def create_topics(
    bootstrap: str, names: Iterable[str], partitions: int = 3, *, timeout: float = 30.0
) -> None:
    """Create the topics (existing ones are left alone) and wait until every partition has
    a leader, so the first produce does not meet a not-yet-ready partition."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    wanted = list(names)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        response = await admin.create_topics(
            [NewTopic(name, num_partitions=partitions, replication_factor=1) for name in wanted]
        )
        _raise_unexpected(response.topic_errors)
        deadline = time.monotonic() + timeout
        while not _all_led(await admin.describe_topics(wanted), wanted):
            if time.monotonic() > deadline:
                raise TimeoutError(f"topics {wanted} have no leaders after {timeout}s")
            await asyncio.sleep(0.05)
    finally:
        await admin.close()


_TOPIC_ALREADY_EXISTS = 36


def _raise_unexpected(topic_errors: list[tuple[object, ...]]) -> None:
    for name, code, *detail in topic_errors:
        if code not in (0, _TOPIC_ALREADY_EXISTS):
            raise RuntimeError(f"creating topic {name} failed with error {code}: {detail}")


def _all_led(described: list[dict[str, object]], wanted: list[str]) -> bool:
    by_name = {str(topic["topic"]): topic for topic in described}
    for name in wanted:
        topic = by_name.get(name)
        if topic is None or topic["error_code"] != 0:
            return False
        partitions = topic["partitions"]
        assert isinstance(partitions, list)
        if not partitions or any(p["leader"] < 0 for p in partitions):
            return False
    return True
