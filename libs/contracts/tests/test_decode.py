"""Tolerant reading, and records that cannot be read fail with a clear reason."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from switchboard.contracts.envelope import Envelope, KafkaRecord, UndecodableEvent, decode, encode
from switchboard.contracts.events import REGISTRY, CaseOpened
from switchboard.contracts.events.common import Channel, Priority

OPENED = CaseOpened(
    case_id="case-1",
    customer_id="cust-1",
    region="nordics",
    channel=Channel.EMAIL,
    opened_at=datetime(2026, 11, 24, 8, 0, tzinfo=UTC),
    first_contact_id="contact-1",
    language="da",
    language_confidence=0.93,
    priority=Priority.HIGH,
    subject="Faktura",
    vip=True,
)


def record() -> KafkaRecord:
    return encode(Envelope(data=OPENED, source="/switchboard/intake"))


def replace_header(headers, name, value):
    return [(k, v) for k, v in headers if k != name] + ([(name, value)] if value else [])


def test_unknown_fields_are_ignored():
    rec = record()
    payload = json.loads(rec.value) | {"sentiment": "angry", "nested": {"a": 1}}

    envelope = decode(REGISTRY, json.dumps(payload).encode(), rec.headers)

    assert envelope.data == OPENED


def test_a_record_without_dataschema_reads_as_the_latest_version():
    rec = record()

    envelope = decode(REGISTRY, rec.value, replace_header(rec.headers, "ce_dataschema", None))

    assert envelope.data == OPENED


@pytest.mark.parametrize("header", ["ce_specversion", "ce_id", "ce_source", "ce_type"])
def test_missing_header(header):
    rec = record()

    with pytest.raises(UndecodableEvent, match=f"missing header {header}"):
        decode(REGISTRY, rec.value, replace_header(rec.headers, header, None))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"{not json", "data is not JSON"),
        (b"\xff\xfe", "data is not JSON"),
        (None, "data is not JSON"),
        (b"[1, 2]", "data is not a JSON object"),
    ],
)
def test_bad_value(value, reason):
    with pytest.raises(UndecodableEvent, match=reason):
        decode(REGISTRY, value, record().headers)


def test_data_of_the_wrong_shape_names_the_field():
    rec = record()
    payload = json.loads(rec.value) | {"priority": 9}

    with pytest.raises(UndecodableEvent, match=r"switchboard.case.opened: priority"):
        decode(REGISTRY, json.dumps(payload).encode(), rec.headers)


def test_data_of_another_type_does_not_match():
    rec = record()
    headers = replace_header(rec.headers, "ce_type", b"switchboard.case.resolved")
    headers = replace_header(headers, "ce_dataschema", None)

    with pytest.raises(
        UndecodableEvent, match=re.escape("does not match switchboard.case.resolved")
    ):
        decode(REGISTRY, rec.value, headers)


def test_unknown_type():
    headers = replace_header(record().headers, "ce_type", b"switchboard.case.teleported")

    with pytest.raises(
        UndecodableEvent, match=re.escape("unknown event type 'switchboard.case.teleported'")
    ):
        decode(REGISTRY, record().value, headers)


def test_unknown_version():
    schema = b"urn:switchboard:schema:switchboard.case.opened:v7"
    headers = replace_header(record().headers, "ce_dataschema", schema)

    with pytest.raises(UndecodableEvent, match="v7"):
        decode(REGISTRY, record().value, headers)


@pytest.mark.parametrize(
    ("header", "value", "reason"),
    [
        ("ce_specversion", b"0.3", "unsupported specversion"),
        ("content-type", b"application/avro", "unsupported content-type"),
        ("ce_dataschema", b"https://example.invalid/schema.json", "unrecognised dataschema"),
        ("ce_time", b"yesterday", "ce_time is not RFC 3339"),
        ("ce_id", b"\xff", "not UTF-8"),
    ],
)
def test_bad_attribute(header, value, reason):
    headers = replace_header(record().headers, header, value)

    with pytest.raises(UndecodableEvent, match=reason):
        decode(REGISTRY, record().value, headers)


def test_naive_datetimes_are_refused():
    payload = json.loads(record().value) | {"opened_at": "2026-11-24T08:00:00"}

    with pytest.raises(UndecodableEvent, match="opened_at"):
        decode(REGISTRY, json.dumps(payload).encode(), record().headers)


def test_an_envelope_time_must_be_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        Envelope(data=OPENED, source="/switchboard/intake", time=datetime(2026, 11, 24, 8, 0))
