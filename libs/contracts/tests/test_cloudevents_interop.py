"""The reference CloudEvents SDK reads what ``encode`` writes, without our code."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat

from switchboard.contracts.envelope import Envelope, encode
from switchboard.contracts.events import EscalationRaised
from switchboard.contracts.events.common import Actor, ActorKind, Priority
from switchboard.contracts.events.escalations import RaisedBecause

AT = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
RAISED = EscalationRaised(
    escalation_id="esc-1",
    case_id="case-1",
    region="nordics",
    trigger=RaisedBecause.REPLY_DELIVERY_FAILED,
    policy_id="pol-1",
    level=1,
    targets=(Actor(kind=ActorKind.COORDINATOR, id="coord-1"),),
    priority=Priority.URGENT,
    raised_by=Actor(kind=ActorKind.SYSTEM, id="escalation"),
    raised_at=AT,
    ack_deadline=AT,
)


def test_sdk_reads_our_binary_record():
    envelope = Envelope(data=RAISED, source="/switchboard/escalation", time=AT)
    record = encode(envelope)

    event = from_binary(
        KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value),
        JSONFormat(),
    )

    assert event.get_id() == envelope.id
    assert event.get_type() == "switchboard.escalation.raised"
    assert event.get_source() == "/switchboard/escalation"
    assert event.get_subject() == "case-1"
    assert event.get_dataschema() == "urn:switchboard:schema:switchboard.escalation.raised:v2"
    assert event.get_time() == AT
    assert event.get_datacontenttype() == "application/json"
    assert event.get_extension("partitionkey") == "esc-1"
    assert event.get_data() == json.loads(RAISED.model_dump_json())
