from datetime import UTC, datetime

from switchboard.contracts.events import (
    REGISTRY,
    StaffingAlertAcknowledged,
    StaffingAlertRaised,
    StaffingAlertResolved,
)
from switchboard.contracts.events.common import Actor
from switchboard.contracts.topics import ESCALATIONS

AT = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
ALERT = {"alert_id": "alert-1", "pool": "nordics/billing", "region": "nordics"}


def test_staffing_alerts_go_on_the_escalations_topic_keyed_by_alert_about_a_pool() -> None:
    raised = StaffingAlertRaised(
        **ALERT,
        department="billing",
        shortfall_event_id="evt-1",
        interval_start=AT,
        interval_seconds=900,
        arrivals=50,
        load_erlangs=10,
        target_share=0.8,
        target_answer_seconds=20,
        agents_required=14,
        agents_available=11,
        expected_service_level=0.0,
        targets=(Actor(kind="coordinator", id="nora"),),
        raised_at=AT,
    )
    acknowledged = StaffingAlertAcknowledged(
        **ALERT, by=Actor(kind="coordinator", id="nora"), acknowledged_at=AT
    )
    resolved = StaffingAlertResolved(
        **ALERT, reason="recovered", agents_required=14, agents_available=15, resolved_at=AT
    )

    for event in (raised, acknowledged, resolved):
        assert event.topic is ESCALATIONS
        assert (event.kafka_key(), event.ce_subject()) == ("alert-1", "nordics/billing")
        parsed = REGISTRY.parse(event.event_type, 1, event.model_dump(mode="json"))
        assert parsed == event
