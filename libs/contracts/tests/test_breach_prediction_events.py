from datetime import UTC, datetime, timedelta

from switchboard.contracts.events import (
    REGISTRY,
    CaseWaitEstimated,
    SlaBreachPredicted,
    SlaRiskCleared,
)
from switchboard.contracts.topics import ASSIGNMENTS, SLA

AT = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
CLOCK = {
    "clock_id": "clock-1",
    "case_id": "case-1",
    "metric": "first_response",
    "policy_id": "default",
    "target_seconds": 3600,
    "elapsed_seconds": 15,
    "due_at": AT + timedelta(hours=1),
    "region": "nordics",
    "channel": "email",
    "priority": 3,
}


def test_routing_says_when_a_waiting_case_expects_its_offer_keyed_by_case() -> None:
    estimate = CaseWaitEstimated(
        case_id="case-1",
        region="nordics",
        channel="email",
        queue_id="nordics",
        position=7,
        served_per_minute=0.1,
        expected_offer_at=AT + timedelta(minutes=80),
        estimated_at=AT,
    )
    stalled = estimate.model_copy(update={"served_per_minute": 0.0, "expected_offer_at": None})

    assert estimate.topic is ASSIGNMENTS
    assert ASSIGNMENTS.writer == "routing"
    assert estimate.kafka_key() == "case-1"
    for each in (estimate, stalled):
        assert REGISTRY.parse(each.event_type, 1, each.model_dump(mode="json")) == each


def test_escalation_predicts_a_breach_and_clears_it_on_the_sla_topic() -> None:
    risk = SlaBreachPredicted(
        **CLOCK,
        position=7,
        served_per_minute=0.1,
        expected_offer_at=None,
        margin_seconds=360,
        predicted_at=AT,
    )
    cleared = SlaRiskCleared(**CLOCK, cleared_at=AT + timedelta(minutes=5))

    assert risk.topic is SLA is cleared.topic
    assert SLA.writer == "escalation"
    assert risk.kafka_key() == cleared.kafka_key() == "case-1"
    for each in (risk, cleared):
        assert REGISTRY.parse(each.event_type, 1, each.model_dump(mode="json")) == each
