from datetime import UTC, datetime, timedelta

import pytest

from switchboard.feedback.domain.surveys import (
    ScheduleSurvey,
    SendSurvey,
    Skip,
    SkipReason,
    SurveyPolicy,
    SurveyState,
    on_due,
    on_resolution,
    survey_state,
)

POLICY = SurveyPolicy(
    delay=timedelta(hours=1), suppression=timedelta(days=30), expiry=timedelta(days=7)
)
RESOLVED = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
DUE = RESOLVED + POLICY.delay


def resolution(**overrides):
    arguments = {
        "resolved_at": RESOLVED,
        "case_already_surveyed": False,
        "customer_last_surveyed_at": None,
        "policy": POLICY,
    }
    return on_resolution(**(arguments | overrides))


def due(**overrides):
    arguments = {
        "resolved_at": RESOLVED,
        "reopened_at": None,
        "case_already_surveyed": False,
        "customer_last_surveyed_at": None,
        "now": DUE,
        "policy": POLICY,
    }
    return on_due(**(arguments | overrides))


def test_a_resolution_schedules_a_survey_after_the_delay():
    assert resolution() == ScheduleSurvey(due_at=DUE)


def test_a_customer_surveyed_within_the_window_is_not_surveyed_again():
    recent = DUE - timedelta(days=29, hours=23)
    assert resolution(customer_last_surveyed_at=recent) == Skip(SkipReason.RECENTLY_SURVEYED)


def test_a_customer_surveyed_exactly_the_window_ago_may_be_surveyed():
    assert resolution(customer_last_surveyed_at=DUE - timedelta(days=30)) == ScheduleSurvey(DUE)


def test_a_case_is_surveyed_once_even_if_resolved_again():
    assert resolution(case_already_surveyed=True) == Skip(SkipReason.ALREADY_SURVEYED)
    assert due(case_already_surveyed=True) == Skip(SkipReason.ALREADY_SURVEYED)


def test_the_due_survey_is_sent_with_its_expiry():
    assert due() == SendSurvey(requested_at=DUE, expires_at=DUE + timedelta(days=7))


def test_a_case_reopened_before_the_delay_ran_out_gets_no_survey():
    assert due(reopened_at=RESOLVED + timedelta(minutes=5)) == Skip(SkipReason.REOPENED)


def test_a_reopen_of_an_earlier_resolution_does_not_cancel_a_later_one():
    assert isinstance(due(reopened_at=RESOLVED - timedelta(hours=2)), SendSurvey)


def test_a_survey_for_another_case_during_the_delay_suppresses_this_one():
    other = RESOLVED + timedelta(minutes=30)
    assert due(customer_last_surveyed_at=other) == Skip(SkipReason.RECENTLY_SURVEYED)


@pytest.mark.parametrize(
    ("answered_at", "now", "state"),
    [
        (None, DUE, SurveyState.OPEN),
        (None, DUE + timedelta(days=7), SurveyState.EXPIRED),
        (DUE, DUE + timedelta(days=8), SurveyState.ANSWERED),
    ],
)
def test_survey_state(answered_at, now, state):
    assert (
        survey_state(expires_at=DUE + timedelta(days=7), answered_at=answered_at, now=now) is state
    )


def test_a_policy_needs_a_positive_expiry():
    with pytest.raises(ValueError, match="open"):
        SurveyPolicy(delay=timedelta(0), suppression=timedelta(0), expiry=timedelta(0))
