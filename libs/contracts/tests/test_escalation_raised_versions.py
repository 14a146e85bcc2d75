"""EscalationRaised v2 adds the trigger reply_delivery_failed; v1 records are read as v2."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from switchboard.contracts.envelope import Envelope, decode, encode
from switchboard.contracts.events import REGISTRY, EscalationRaised, EscalationRaisedV1
from switchboard.contracts.events.common import Actor, ActorKind, Priority
from switchboard.contracts.events.escalations import RaisedBecause
from switchboard.contracts.events.escalations_v1 import Trigger
from switchboard.contracts.schemas.compat import breaking_changes
from switchboard.contracts.schemas.generate import schema_of

AT = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
FIELDS = {
    "escalation_id": "esc-1",
    "case_id": "case-1",
    "region": "dach",
    "policy_id": "regional",
    "level": 1,
    "targets": (Actor(kind=ActorKind.COORDINATOR, id="greta"),),
    "priority": Priority.HIGH,
    "customer_id": "cust-1",
    "raised_by": Actor(kind=ActorKind.SYSTEM, id="intake"),
    "reason": "reply r-1 was not delivered: mailbox full",
    "raised_at": AT,
    "ack_deadline": AT,
}


def test_v2_is_the_newest_and_v1_is_still_registered():
    assert REGISTRY.latest_version(EscalationRaised.event_type) == 2
    assert REGISTRY.model(EscalationRaised.event_type, 1) is EscalationRaisedV1
    assert REGISTRY.model(EscalationRaised.event_type) is EscalationRaised


@pytest.mark.parametrize("trigger", list(Trigger), ids=str)
def test_a_v1_record_is_read_as_v2_with_the_same_trigger(trigger):
    old = EscalationRaisedV1(trigger=trigger, **FIELDS)
    record = encode(Envelope(data=old, source="/switchboard/escalation", time=AT))
    assert dict(record.headers)["ce_dataschema"].endswith(b":v1")

    envelope = decode(REGISTRY, record.value, record.headers)

    assert envelope.data == EscalationRaised(trigger=RaisedBecause(trigger.value), **FIELDS)


def test_a_v2_record_with_the_new_trigger_round_trips():
    raised = EscalationRaised(trigger=RaisedBecause.REPLY_DELIVERY_FAILED, **FIELDS)
    record = encode(Envelope(data=raised, source="/switchboard/escalation", time=AT))

    envelope = decode(REGISTRY, record.value, record.headers)

    assert dict(record.headers)["ce_dataschema"].endswith(b":v2")
    assert envelope.data == raised
    assert envelope.data.trigger == "reply_delivery_failed"


def test_the_v1_model_still_refuses_the_new_trigger():
    with pytest.raises(ValidationError, match="trigger"):
        EscalationRaisedV1.model_validate({**FIELDS, "trigger": "reply_delivery_failed"})


def test_v2_differs_from_v1_only_by_the_new_trigger():
    changes = breaking_changes(schema_of(EscalationRaisedV1), schema_of(EscalationRaised))

    assert [c.path for c in changes if c.path.startswith("$.properties")] == [
        "$.properties.trigger.enum"
    ]
    assert [t.value for t in RaisedBecause] == [
        *(t.value for t in Trigger),
        "reply_delivery_failed",
    ]
