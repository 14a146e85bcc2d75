"""Headers of a dead-lettered record: the original record's headers plus why it failed;
and of a dead letter replayed to the original topic for one consumer group.

A replayed record carries ``dlq-replay-group: <group>``: only that group's consumers handle
it (``HandlerTable.wants``); every other group already handled the original once and passes
it over, whatever its inbox still remembers. The intended group's inbox dedupes by event id,
so replaying the same dead letter twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiokafka import ConsumerRecord

from switchboard.servicekit.db.types import utcnow

REASON_LIMIT = 2000
DLQ_PREFIX = "dlq-"
REPLAY_GROUP = "dlq-replay-group"
"""Names the one consumer group a replayed dead letter is for."""
REPLAYED_FROM = "dlq-replayed-from"
"""``<dead-letter topic>/<partition>/<offset>``: where a replayed record came from."""

Headers = Sequence[tuple[str, bytes | None]]


def dead_letter_headers(
    record: ConsumerRecord[Any, Any], *, group: str, reason: str, error: str, attempts: int
) -> list[tuple[str, bytes]]:
    failure = {
        "dlq-reason": reason[:REASON_LIMIT],
        "dlq-error-type": error,
        "dlq-attempts": str(attempts),
        "dlq-consumer-group": group,
        "dlq-original-topic": record.topic,
        "dlq-original-partition": str(record.partition),
        "dlq-original-offset": str(record.offset),
        "dlq-failed-at": utcnow().isoformat(),
    }
    return original_headers(record.headers) + [(k, v.encode()) for k, v in failure.items()]


def original_headers(headers: Headers) -> list[tuple[str, bytes]]:
    """The headers without any ``dlq-*`` one (a dead letter's: the original record's)."""
    return [(k, v or b"") for k, v in headers if not k.startswith(DLQ_PREFIX)]


def replay_headers(
    dead_letter: Headers, *, group: str, source: tuple[str, int, int]
) -> list[tuple[str, bytes]]:
    """A dead letter's original headers, marked as replayed for ``group`` from ``source``
    (dead-letter topic, partition, offset)."""
    topic, partition, offset = source
    return [
        *original_headers(dead_letter),
        (REPLAY_GROUP, group.encode()),
        (REPLAYED_FROM, f"{topic}/{partition}/{offset}".encode()),
    ]


def replay_group(headers: Headers) -> str | None:
    """The consumer group a replayed record is for; None for an ordinary record."""
    for name, value in headers:
        if name == REPLAY_GROUP:
            return (value or b"").decode(errors="replace")
    return None


def meant_for(headers: Headers, group: str) -> bool:
    """Whether ``group`` may handle the record: any ordinary one, a replay only its own."""
    target = replay_group(headers)
    return target is None or target == group
