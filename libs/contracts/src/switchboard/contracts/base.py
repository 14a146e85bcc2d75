"""The base class of every event's data."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from switchboard.contracts.topics import Topic


class Event(BaseModel):
    """Data of one event type and version: frozen, and tolerant of unknown fields."""

    model_config = ConfigDict(frozen=True, extra="ignore", use_attribute_docstrings=True)

    event_type: ClassVar[str]
    """CloudEvents ``type``, e.g. ``switchboard.case.opened``; stable across versions."""
    version: ClassVar[int] = 1
    topic: ClassVar[Topic]
    key_field: ClassVar[str]
    """The field whose value is the Kafka key (the aggregate id)."""
    subject_field: ClassVar[str | None] = None
    """The field whose value is the CloudEvents ``subject``; the key field when unset."""

    def kafka_key(self) -> str:
        return str(getattr(self, self.key_field))

    def ce_subject(self) -> str:
        """The CloudEvents ``subject``; not named ``subject`` so events may have that field."""
        return str(getattr(self, self.subject_field or self.key_field))

    @classmethod
    def dataschema(cls) -> str:
        return schema_uri(cls.event_type, cls.version)


def schema_uri(event_type: str, version: int) -> str:
    return f"urn:switchboard:schema:{event_type}:v{version}"
