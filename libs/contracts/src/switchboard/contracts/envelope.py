"""CloudEvents 1.0 over Kafka, binary content mode.

Attributes travel as ``ce_*`` headers, the data as JSON in the value, the aggregate id as
the key, and the W3C trace context as ``traceparent``/``tracestate`` headers, so any Kafka
client can read a topic without Switchboard's code.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, TypeVar

from pydantic import ValidationError

from switchboard.contracts.base import Event
from switchboard.contracts.registry import Registry, UnknownEventType

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
TRACE_HEADERS = ("traceparent", "tracestate")

E = TypeVar("E", bound=Event, covariant=True)  # frozen: Envelope[CaseOpened] is an Envelope[Event]
Headers = list[tuple[str, bytes]]


class UndecodableEvent(ValueError):
    """A Kafka record that is not a valid Switchboard CloudEvent; the reason says why."""


@dataclass(frozen=True)
class Envelope(Generic[E]):
    data: E
    source: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    trace: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.time.tzinfo is None:
            raise ValueError("an envelope's time must be timezone-aware")

    @property
    def type(self) -> str:
        return self.data.event_type

    @property
    def topic(self) -> str:
        return self.data.topic.name

    @property
    def key(self) -> str:
        return self.data.kafka_key()

    @property
    def subject(self) -> str:
        return self.data.ce_subject()


@dataclass(frozen=True)
class KafkaRecord:
    topic: str
    key: bytes
    value: bytes
    headers: Headers


def encode(envelope: Envelope[Event]) -> KafkaRecord:
    data = envelope.data
    headers: Headers = [
        ("ce_specversion", SPEC_VERSION.encode()),
        ("ce_id", envelope.id.encode()),
        ("ce_source", envelope.source.encode()),
        ("ce_type", data.event_type.encode()),
        ("ce_time", envelope.time.isoformat().encode()),
        ("ce_subject", envelope.subject.encode()),
        ("ce_dataschema", data.dataschema().encode()),
        ("content-type", CONTENT_TYPE.encode()),
    ]
    headers += [(k, v.encode()) for k, v in envelope.trace.items() if k in TRACE_HEADERS]
    value = data.model_dump_json().encode()
    return KafkaRecord(envelope.topic, envelope.key.encode(), value, headers)


def decode(registry: Registry, value: bytes | None, headers: Headers) -> Envelope[Event]:
    """Read one record back into its typed envelope, upcast to the newest version."""
    attrs = _header_map(headers)
    for required in ("ce_specversion", "ce_id", "ce_source", "ce_type"):
        if required not in attrs:
            raise UndecodableEvent(f"missing header {required}")
    if attrs["ce_specversion"] != SPEC_VERSION:
        raise UndecodableEvent(f"unsupported specversion {attrs['ce_specversion']!r}")
    content_type = attrs.get("content-type", CONTENT_TYPE)
    if not content_type.startswith(CONTENT_TYPE):
        raise UndecodableEvent(f"unsupported content-type {content_type!r}")
    event_type = attrs["ce_type"]
    try:
        version = _version_of(attrs.get("ce_dataschema")) or registry.latest_version(event_type)
        payload = json.loads(value or b"")
        if not isinstance(payload, dict):
            raise UndecodableEvent("data is not a JSON object")
        data = registry.parse(event_type, version, payload)
    except UnknownEventType as exc:
        raise UndecodableEvent(str(exc)) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UndecodableEvent(f"data is not JSON: {exc}") from exc
    except ValidationError as exc:
        raise UndecodableEvent(f"data does not match {event_type}: {_first_error(exc)}") from exc
    return Envelope(
        data=data,
        source=attrs["ce_source"],
        id=attrs["ce_id"],
        time=_parse_time(attrs.get("ce_time")),
        trace={k: attrs[k] for k in TRACE_HEADERS if k in attrs},
    )


def _header_map(headers: Headers) -> dict[str, str]:
    try:
        return {k: v.decode() for k, v in headers if v is not None}
    except UnicodeDecodeError as exc:
        raise UndecodableEvent("a header is not UTF-8") from exc


def _version_of(dataschema: str | None) -> int | None:
    if not dataschema:
        return None
    tail = dataschema.rsplit(":", 1)[-1]
    if not tail.startswith("v") or not tail[1:].isdigit():
        raise UndecodableEvent(f"unrecognised dataschema {dataschema!r}")
    return int(tail[1:])


def _parse_time(raw: str | None) -> datetime:
    if raw is None:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise UndecodableEvent(f"ce_time is not RFC 3339: {raw!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "data"
    return f"{where}: {err['msg']}"
