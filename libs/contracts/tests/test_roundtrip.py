"""Every registered event survives encode → Kafka record → decode unchanged (an older
version comes back upcast to the newest)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from switchboard.contracts.envelope import Envelope, decode, encode
from switchboard.contracts.events import REGISTRY, EscalationAcknowledged
from switchboard.contracts.events.common import Actor, ActorKind
from switchboard.contracts.schemas.generate import read, schema_path

MODELS = list(REGISTRY)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: f"{m.event_type}.v{m.version}")
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_round_trip(model, data, event_strategy):
    event = data.draw(event_strategy(model))
    envelope = Envelope(data=event, source="/switchboard/test", trace={"traceparent": "00-x"})

    record = encode(envelope)
    back = decode(REGISTRY, record.value, record.headers)

    newest = REGISTRY.latest_version(model.event_type)
    upcast = REGISTRY.parse(model.event_type, model.version, event.model_dump(mode="json"))
    assert back == (envelope if model.version == newest else replace(envelope, data=upcast))
    assert record.topic == model.topic.name
    assert record.key.decode() == str(getattr(event, model.key_field))
    committed = read(schema_path(model))
    Draft202012Validator(committed).validate(json.loads(record.value))


def test_escalations_are_keyed_by_escalation_and_about_the_case():
    event = EscalationAcknowledged(
        escalation_id="esc-1",
        case_id="case-1",
        region="nordics",
        level=2,
        by=Actor(kind=ActorKind.COORDINATOR, id="coord-7"),
        acknowledged_at=datetime(2026, 11, 24, 9, 30, tzinfo=UTC),
    )

    record = encode(Envelope(data=event, source="/switchboard/escalation"))

    headers = dict(record.headers)
    assert record.key == b"esc-1"
    assert headers["ce_subject"] == b"case-1"
    assert (
        headers["ce_dataschema"] == b"urn:switchboard:schema:switchboard.escalation.acknowledged:v1"
    )
