"""The models refuse data a contact centre should never publish."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from switchboard.contracts.events import CaseOpened, CaseTransferred, SurveyAnswered
from switchboard.contracts.events.common import Actor, ActorKind, Channel, Priority

AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
OPENED = {
    "case_id": "c1",
    "customer_id": "u1",
    "region": "nordics",
    "channel": "email",
    "opened_at": AT,
    "first_contact_id": "k1",
    "language": "nb-NO",
    "language_confidence": 0.97,
    "priority": 2,
}
ANSWER = {
    "survey_id": "s1",
    "case_id": "c1",
    "customer_id": "u1",
    "channel": "chat",
    "language": "pl",
    "region": "central",
    "answered_at": AT,
}


def test_a_valid_case():
    case = CaseOpened.model_validate(OPENED)

    assert case.channel is Channel.EMAIL
    assert case.priority is Priority.HIGH
    assert case.vip is False


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("opened_at", datetime(2026, 11, 24, 9, 0)),
        ("language", "Danish"),
        ("language_confidence", 1.5),
        ("priority", 0),
        ("channel", "fax"),
        ("region", "Nordics"),
        ("case_id", "has space"),
        ("case_id", ""),
        ("summary", "x" * 1001),
        ("customer_tier", "Gold!"),
    ],
)
def test_invalid_case_fields(field, value):
    with pytest.raises(ValidationError, match=field):
        CaseOpened.model_validate(OPENED | {field: value})


def test_events_are_frozen():
    case = CaseOpened.model_validate(OPENED)

    with pytest.raises(ValidationError):
        case.vip = True


@pytest.mark.parametrize(
    ("scores", "ok"),
    [
        ({"csat": 5}, True),
        ({"nps": 0}, True),
        ({"ces": 7}, True),
        ({"comment": "slow"}, True),
        ({"csat": 6}, False),
        ({"nps": 11}, False),
        ({"ces": 0}, False),
        ({}, False),
    ],
)
def test_survey_score_ranges(scores, ok):
    if ok:
        SurveyAnswered.model_validate(ANSWER | scores)
    else:
        with pytest.raises(ValidationError):
            SurveyAnswered.model_validate(ANSWER | scores)


def test_a_transfer_needs_a_destination():
    transfer = {
        "case_id": "c1",
        "region": "nordics",
        "channel": "phone",
        "by": Actor(kind=ActorKind.AGENT, id="a1"),
        "enqueued_at": AT,
        "transferred_at": AT,
    }

    with pytest.raises(ValidationError, match="destination"):
        CaseTransferred.model_validate(transfer)
    assert CaseTransferred.model_validate(transfer | {"to_queue_id": "q2"}).to_queue_id == "q2"
