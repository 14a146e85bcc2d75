"""Consents, pure: the current state of a purpose is its latest change by when the customer
expressed it; a withdrawal wins a tie and is never lost to the order changes are read in."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.intake.domain.consents import (
    ConsentChange,
    Consents,
    ConsentSource,
    ConsentState,
    InvalidConsent,
    Purpose,
)

NOON = datetime(2026, 12, 7, 12, tzinfo=UTC)
GRANTED, WITHDRAWN = ConsentState.GRANTED, ConsentState.WITHDRAWN


def change(
    state: ConsentState,
    minutes: int = 0,
    purpose: Purpose = Purpose.SURVEYS,
    recorded_minutes: int | None = None,
) -> ConsentChange:
    at = NOON + timedelta(minutes=minutes)
    recorded_at = at if recorded_minutes is None else NOON + timedelta(minutes=recorded_minutes)
    return ConsentChange(
        purpose=purpose,
        state=state,
        at=at,
        recorded_at=recorded_at,
        by="agent:a1",
        source=ConsentSource.AGENT,
    )


def test_nothing_recorded_refuses_nothing():
    consents = Consents.from_history([])
    assert not consents.withdrawn(Purpose.SURVEYS)
    assert consents.by_purpose() == {Purpose.SURVEYS: None, Purpose.MARKETING: None}


def test_the_latest_change_per_purpose_is_the_current_state():
    history = [
        change(GRANTED, 0),
        change(WITHDRAWN, 10),
        change(GRANTED, 5, Purpose.MARKETING),
    ]
    consents = Consents.from_history(history)
    assert consents.withdrawn(Purpose.SURVEYS)
    assert not consents.withdrawn(Purpose.MARKETING)
    assert consents.current[Purpose.MARKETING].state is GRANTED
    regranted = Consents.from_history([*history, change(GRANTED, 20)])
    assert not regranted.withdrawn(Purpose.SURVEYS)


def test_an_old_answer_recorded_late_does_not_override_a_newer_one():
    imported_grant = change(GRANTED, -60 * 24, recorded_minutes=30)
    consents = Consents.from_history([change(WITHDRAWN, 0), imported_grant])
    assert consents.withdrawn(Purpose.SURVEYS)


def test_a_withdrawal_wins_a_tie():
    assert Consents.from_history([change(WITHDRAWN), change(GRANTED)]).withdrawn(Purpose.SURVEYS)
    assert Consents.from_history([change(GRANTED), change(WITHDRAWN)]).withdrawn(Purpose.SURVEYS)


def test_a_consent_cannot_be_expressed_in_the_future():
    with pytest.raises(InvalidConsent):
        change(GRANTED, 60, recorded_minutes=0)
    assert change(GRANTED, 2, recorded_minutes=0).state is GRANTED, "a little clock skew is fine"


changes = st.builds(
    change,
    st.sampled_from(list(ConsentState)),
    st.integers(-100, 100),
    st.sampled_from(list(Purpose)),
    st.integers(100, 200),
)


@given(st.lists(changes, max_size=12), st.randoms())
def test_the_current_state_does_not_depend_on_reading_order(history, random):
    shuffled = list(history)
    random.shuffle(shuffled)
    assert Consents.from_history(shuffled) == Consents.from_history(history)


@given(st.lists(changes, min_size=1, max_size=12))
def test_a_withdrawal_no_grant_came_after_stays_withdrawn(history):
    for purpose in Purpose:
        mine = [c for c in history if c.purpose is purpose]
        last_withdrawal = max((c.at for c in mine if c.state is WITHDRAWN), default=None)
        last_grant = max((c.at for c in mine if c.state is GRANTED), default=None)
        if last_withdrawal is not None and (last_grant is None or last_grant <= last_withdrawal):
            assert Consents.from_history(history).withdrawn(purpose)
