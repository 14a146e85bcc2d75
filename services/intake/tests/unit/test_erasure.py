from datetime import UTC, datetime, timedelta

import pytest

from switchboard.intake.domain.erasure import SERVICES, Erasure

AT = datetime(2026, 12, 7, 9, tzinfo=UTC)


def requested() -> Erasure:
    return Erasure(erasure_id="e1", customer_id="c1", requested_at=AT, requested_by="root")


def test_an_erasure_is_complete_once_every_service_confirmed():
    erasure = requested().confirm("intake", AT)
    assert erasure.pending == ("routing", "escalation", "feedback")
    for service in ("feedback", "routing"):
        erasure = erasure.confirm(service, AT + timedelta(seconds=1))
    assert not erasure.complete
    erasure = erasure.confirm("escalation", AT + timedelta(seconds=2))
    assert erasure.complete
    assert erasure.pending == ()
    assert set(erasure.confirmations) == set(SERVICES)


def test_a_repeated_confirmation_keeps_the_first_time():
    first = requested().confirm("routing", AT)
    again = first.confirm("routing", AT + timedelta(hours=1))
    assert again is first
    assert again.confirmations["routing"] == AT


def test_an_unknown_service_cannot_confirm():
    with pytest.raises(ValueError, match="unknown service"):
        requested().confirm("billing", AT)


def test_confirmations_read_back_from_storage_are_the_same_erasure():
    stored = {"intake": AT, "feedback": AT + timedelta(seconds=3)}
    erasure = requested().confirmed_from(stored)
    assert dict(erasure.confirmations) == stored
    assert erasure.pending == ("routing", "escalation")


def test_a_customer_with_more_cases_than_one_event_carries_is_erased_by_several():
    from switchboard.contracts.events.common import Actor, ActorKind
    from switchboard.intake.service_layer.customer_erasure import erasure_requests

    cases = [f"case-{n}" for n in range(25_000)]
    merged = [f"merged-{n}" for n in range(1_500)]
    by = Actor(kind=ActorKind.SYSTEM, id="admin:root")
    events = erasure_requests(
        erasure_id="e1",
        customer_id="c1",
        requested_at=AT,
        by=by,
        case_ids=cases,
        merged_ids=merged,
    )
    assert len(events) == 3
    assert {e.customer_id for e in events} == {"c1"}
    assert [c for e in events for c in e.case_ids] == cases
    assert [m for e in events for m in e.merged_ids] == merged
    (one,) = erasure_requests(
        erasure_id="e1", customer_id="c1", requested_at=AT, by=by, case_ids=[], merged_ids=[]
    )
    assert one.case_ids == ()
    assert one.merged_ids == ()


def test_data_keys_go_to_platform_signed_service_tokens_only():
    from switchboard.intake.service_layer.customer_erasure import NotAllowed, _services_only
    from switchboard.servicekit.auth import Principal, Role

    service = Principal(subject="service:escalation", role=Role.ADMIN, platform_signed=True)
    _services_only(service, "c1")
    for refused in (
        Principal(subject="service:escalation", role=Role.ADMIN),  # a provider's claims
        Principal(subject="root", role=Role.ADMIN, platform_signed=True),
        Principal(subject="service:escalation", role=Role.COORDINATOR, platform_signed=True),
    ):
        with pytest.raises(NotAllowed):
            _services_only(refused, "c1")
