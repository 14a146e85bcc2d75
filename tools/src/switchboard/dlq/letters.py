"""A dead letter read from a consumer group's dead-letter topic, and what it says."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from switchboard.contracts.topics import dead_letter_topic
from switchboard.servicekit.consumer.dead_letter import original_headers

TOPIC_PREFIX = dead_letter_topic("")


def group_of(topic: str) -> str:
    """The consumer group whose dead-letter topic this is."""
    if not topic.startswith(TOPIC_PREFIX) or topic == TOPIC_PREFIX:
        raise ValueError(f"{topic!r} is no dead-letter topic ({TOPIC_PREFIX}<group>)")
    return topic[len(TOPIC_PREFIX) :]


def parse_position(text: str) -> tuple[int, int]:
    """``PARTITION:OFFSET`` (as ``list`` shows it) -> (partition, offset)."""
    partition, sep, offset = text.partition(":")
    try:
        if not sep:
            raise ValueError
        position = int(partition), int(offset)
    except ValueError:
        raise ValueError(f"{text!r}: expected PARTITION:OFFSET, e.g. 0:12") from None
    if min(position) < 0:
        raise ValueError(f"{text!r}: partition and offset are not negative")
    return position


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    @classmethod
    def of(cls, record: Any) -> DeadLetter:
        """From an aiokafka ``ConsumerRecord`` of a dead-letter topic."""
        headers = tuple((name, value or b"") for name, value in record.headers)
        return cls(record.topic, record.partition, record.offset, record.key, record.value, headers)

    @property
    def position(self) -> str:
        return f"{self.partition}:{self.offset}"

    def header(self, name: str) -> str:
        for key, value in self.headers:
            if key == name:
                return value.decode(errors="replace")
        return ""

    @property
    def group(self) -> str:
        return self.header("dlq-consumer-group") or group_of(self.topic)

    @property
    def reason(self) -> str:
        return self.header("dlq-reason")

    @property
    def error_type(self) -> str:
        return self.header("dlq-error-type")

    @property
    def attempts(self) -> str:
        return self.header("dlq-attempts")

    @property
    def failed_at(self) -> str:
        return self.header("dlq-failed-at")

    @property
    def event_type(self) -> str:
        return self.header("ce_type")

    @property
    def event_id(self) -> str:
        return self.header("ce_id")

    @property
    def original_topic(self) -> str:
        return self.header("dlq-original-topic")

    @property
    def original(self) -> str:
        """``topic/partition/offset`` of the record that failed."""
        return "/".join(
            self.header(f"dlq-original-{part}") for part in ("topic", "partition", "offset")
        )

    @property
    def original_headers(self) -> list[tuple[str, bytes]]:
        return original_headers(self.headers)

    def pretty_value(self) -> str:
        """The value as indented JSON when it is JSON, else as text (bytes escaped)."""
        if self.value is None:
            return "(no value)"
        try:
            return json.dumps(json.loads(self.value), indent=2, ensure_ascii=False)
        except ValueError:
            return self.value.decode(errors="backslashreplace")

    def summary(self, *, replayed: bool) -> dict[str, str | bool]:
        """One row of ``list``."""
        return {
            "position": self.position,
            "event_type": self.event_type,
            "event_id": self.event_id,
            "reason": self.reason,
            "error_type": self.error_type,
            "attempts": self.attempts,
            "failed_at": self.failed_at,
            "original": self.original,
            "replayed": replayed,
        }
