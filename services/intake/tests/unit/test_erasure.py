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
