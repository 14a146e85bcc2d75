"""A pool's staffing alert as a state machine: raised, acknowledged once, resolved by the
pool's recovery (acknowledged or not), and a newer reckoning refreshes its figures."""

from datetime import UTC, datetime, timedelta

import pytest

from switchboard.escalation.domain.staffing_alert import (
    AlertStatus,
    Shortfall,
    StaffingAlert,
    StaffingAlertError,
)

AT = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
SHORT = Shortfall(
    agents_required=14, agents_available=11, expected_service_level=0.39, assessed_at=AT
)


def raised() -> StaffingAlert:
    return StaffingAlert.raise_for(
        alert_id="a-1", pool="nordics/billing", region="nordics", shortfall=SHORT, at=AT
    )


def test_an_alert_is_raised_then_acknowledged_then_resolved_on_recovery():
    alert = raised()
    assert (alert.status, alert.active, alert.shortfall.missing) == (AlertStatus.RAISED, True, 3)

    taken = alert.acknowledge(by="nora", at=AT + timedelta(minutes=1))
    assert (taken.status, taken.acknowledged_by) == (AlertStatus.ACKNOWLEDGED, "nora")

    closed = taken.recover(at=AT + timedelta(minutes=15))
    assert (closed.status, closed.active, closed.acknowledged_by) == (
        AlertStatus.RESOLVED,
        False,
        "nora",
    )
    assert closed.recover(at=AT + timedelta(hours=1)) == closed


def test_an_unacknowledged_alert_is_resolved_by_recovery_too():
    assert raised().recover(at=AT).status is AlertStatus.RESOLVED


@pytest.mark.parametrize(
    "alert",
    [
        raised().acknowledge(by="nora", at=AT),
        raised().recover(at=AT),
    ],
    ids=["acknowledged", "resolved"],
)
def test_only_a_raised_alert_can_be_acknowledged(alert):
    with pytest.raises(StaffingAlertError):
        alert.acknowledge(by="magnus", at=AT)


def test_a_newer_reckoning_refreshes_the_figures_and_an_older_one_does_not():
    worse = Shortfall(
        agents_required=16,
        agents_available=10,
        expected_service_level=0.1,
        assessed_at=AT + timedelta(minutes=15),
    )
    refreshed = raised().still_short(worse)
    assert (refreshed.shortfall, refreshed.status, refreshed.alert_id) == (
        worse,
        AlertStatus.RAISED,
        "a-1",
    )
    assert refreshed.still_short(SHORT) == refreshed
    resolved = raised().recover(at=AT)
    assert resolved.still_short(worse) == resolved
