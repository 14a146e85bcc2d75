"""Headers of a dead-lettered record: the original record's headers plus why it failed."""

from __future__ import annotations

from typing import Any

from aiokafka import ConsumerRecord

from switchboard.servicekit.db.types import utcnow

REASON_LIMIT = 2000


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
    kept = [(k, v) for k, v in record.headers if not k.startswith("dlq-")]
    return kept + [(k, v.encode()) for k, v in failure.items()]
