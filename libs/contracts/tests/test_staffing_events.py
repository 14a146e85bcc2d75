from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from switchboard.contracts.events import REGISTRY, StaffingRecovered, StaffingShortfall
from switchboard.contracts.topics import STAFFING

AT = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
FIELDS = {
    "pool": "nordics/billing",
    "region": "nordics",
    "department": "billing",
    "interval_start": AT,
    "interval_seconds": 900,
    "arrivals": 50,
    "average_handle_seconds": 180,
    "load_erlangs": 10,
    "target_share": 0.8,
    "target_answer_seconds": 20,
    "agents_required": 14,
    "agents_available": 11,
    "expected_service_level": 0.39,
    "assessed_at": AT,
}


def test_staffing_events_go_on_their_topic_keyed_by_pool() -> None:
    short = StaffingShortfall(**FIELDS)

    assert short.topic is STAFFING
    assert STAFFING.writer == "routing"
    assert short.kafka_key() == "nordics/billing" == short.ce_subject()
    assert REGISTRY.parse(
        StaffingRecovered.event_type, 1, StaffingRecovered(**FIELDS).model_dump(mode="json")
    ) == StaffingRecovered(**FIELDS)


@pytest.mark.parametrize("pool", ["Nordics", "nordics/", "nordics/billing/eu", " nordics"])
def test_a_pool_is_a_region_or_region_and_department(pool: str) -> None:
    with pytest.raises(ValidationError):
        StaffingShortfall(**{**FIELDS, "pool": pool})
