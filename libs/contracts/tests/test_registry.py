"""Registration rules and upcasting old versions to the newest."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
from pydantic import AwareDatetime

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope, UndecodableEvent, decode, encode
from switchboard.contracts.registry import Registry, UnknownEventType
from switchboard.contracts.topics import CASES, Topic


class NoteV1(Event):
    event_type: ClassVar[str] = "switchboard.note.added"
    version: ClassVar[int] = 1
    topic: ClassVar[Topic] = CASES
    key_field: ClassVar[str] = "case_id"

    case_id: str
    text: str
    at: AwareDatetime


class NoteV2(Event):
    """v2 splits ``text`` into a title and a body, a breaking change."""

    event_type: ClassVar[str] = "switchboard.note.added"
    version: ClassVar[int] = 2
    topic: ClassVar[Topic] = CASES
    key_field: ClassVar[str] = "case_id"

    case_id: str
    title: str
    body: str
    at: AwareDatetime


def v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    title, _, body = data.pop("text").partition("\n")
    return data | {"title": title, "body": body}


AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def private_registry() -> Registry:
    registry = Registry()
    registry.register(NoteV1)
    registry.register(NoteV2)
    registry.register_upcaster("switchboard.note.added", 1, v1_to_v2)
    return registry


def test_a_v1_record_is_read_as_v2():
    registry = private_registry()
    record = encode(Envelope(data=NoteV1(case_id="c1", text="Refund\nplease", at=AT), source="/t"))

    envelope = decode(registry, record.value, record.headers)

    assert envelope.data == NoteV2(case_id="c1", title="Refund", body="please", at=AT)


def test_a_v2_record_is_read_as_is():
    registry = private_registry()
    note = NoteV2(case_id="c1", title="Refund", body="please", at=AT)
    record = encode(Envelope(data=note, source="/t"))

    assert decode(registry, record.value, record.headers).data == note
    assert dict(record.headers)["ce_dataschema"].endswith(b":v2")


def test_a_missing_upcaster_is_a_clear_decode_error():
    registry = Registry()
    registry.register(NoteV1)
    registry.register(NoteV2)
    record = encode(Envelope(data=NoteV1(case_id="c1", text="x", at=AT), source="/t"))

    with pytest.raises(
        UndecodableEvent, match=re.escape("no upcaster for 'switchboard.note.added' v1")
    ):
        decode(registry, record.value, record.headers)


def test_old_data_is_validated_against_its_own_version_before_upcasting():
    registry = private_registry()
    record = encode(Envelope(data=NoteV1(case_id="c1", text="x", at=AT), source="/t"))
    value = json.dumps({"case_id": "c1", "at": AT.isoformat()}).encode()

    with pytest.raises(UndecodableEvent, match="text: Field required"):
        decode(registry, value, record.headers)


def test_upcast_data_is_validated_against_the_newest_model():
    registry = Registry()
    registry.register(NoteV1)
    registry.register(NoteV2)
    registry.register_upcaster("switchboard.note.added", 1, lambda d: d)
    record = encode(Envelope(data=NoteV1(case_id="c1", text="x", at=AT), source="/t"))

    with pytest.raises(UndecodableEvent, match="title"):
        decode(registry, record.value, record.headers)


def test_a_topic_has_one_writer():
    class Intruder(Event):
        event_type: ClassVar[str] = "switchboard.case.hijacked"
        topic: ClassVar[Topic] = Topic(CASES.name, "routing", "case id", "")
        key_field: ClassVar[str] = "case_id"
        case_id: str

    registry = Registry()
    registry.register(NoteV1)

    with pytest.raises(
        ValueError, match=re.escape("topic switchboard.cases would have two writers")
    ):
        registry.register(Intruder)


def test_a_type_and_version_is_registered_once():
    class Twin(NoteV1):
        pass

    registry = Registry()
    registry.register(NoteV1)
    registry.register(NoteV1)

    with pytest.raises(ValueError, match="registered twice"):
        registry.register(Twin)


def test_the_key_field_must_exist():
    class Keyless(Event):
        event_type: ClassVar[str] = "switchboard.case.keyless"
        topic: ClassVar[Topic] = CASES
        key_field: ClassVar[str] = "case_id"
        id: str

    with pytest.raises(ValueError, match="no key field 'case_id'"):
        Registry().register(Keyless)


def test_unknown_lookups():
    with pytest.raises(UnknownEventType):
        Registry().model("switchboard.nothing")


def test_the_published_registry_covers_every_topic():
    from switchboard.contracts.events import ALL_EVENTS, REGISTRY
    from switchboard.contracts.topics import ALL_TOPICS

    assert sorted(REGISTRY.topics()) == sorted(t.name for t in ALL_TOPICS)
    assert len(list(REGISTRY)) == len(ALL_EVENTS) == 43
    assert json.dumps([m.event_type for m in REGISTRY])  # every type is a plain string
