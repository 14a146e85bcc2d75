"""Survey decisions: whether and when to survey a resolution, and whether a link still works."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


@dataclass(frozen=True)
class SurveyPolicy:
    delay: timedelta
    """Wait this long after the resolution, so a reopen can cancel the survey."""
    suppression: timedelta
    """Never survey the same customer twice within this window."""
    expiry: timedelta
    """How long a survey link can be answered."""

    def __post_init__(self) -> None:
        if self.delay < timedelta(0) or self.suppression < timedelta(0):
            raise ValueError("delay and suppression cannot be negative")
        if self.expiry <= timedelta(0):
            raise ValueError("a survey must stay open for some time")


class SkipReason(StrEnum):
    ALREADY_SURVEYED = "already_surveyed"
    RECENTLY_SURVEYED = "recently_surveyed"
    REOPENED = "reopened"


@dataclass(frozen=True)
class ScheduleSurvey:
    due_at: datetime


@dataclass(frozen=True)
class SendSurvey:
    requested_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Skip:
    reason: SkipReason


def recently_surveyed(
    *, customer_last_surveyed_at: datetime | None, at: datetime, policy: SurveyPolicy
) -> bool:
    return (
        customer_last_surveyed_at is not None
        and at - customer_last_surveyed_at < policy.suppression
    )


def on_resolution(
    *,
    resolved_at: datetime,
    case_already_surveyed: bool,
    customer_last_surveyed_at: datetime | None,
    policy: SurveyPolicy,
) -> ScheduleSurvey | Skip:
    """A case was resolved: schedule its survey after the delay, unless suppressed."""
    if case_already_surveyed:
        return Skip(SkipReason.ALREADY_SURVEYED)
    due_at = resolved_at + policy.delay
    if recently_surveyed(
        customer_last_surveyed_at=customer_last_surveyed_at, at=due_at, policy=policy
    ):
        return Skip(SkipReason.RECENTLY_SURVEYED)
    return ScheduleSurvey(due_at=due_at)


def on_due(
    *,
    resolved_at: datetime,
    reopened_at: datetime | None,
    case_already_surveyed: bool,
    customer_last_surveyed_at: datetime | None,
    now: datetime,
    policy: SurveyPolicy,
) -> SendSurvey | Skip:
    """The delay ran out: send the survey unless the case came back or the customer was
    surveyed for another case in the meantime."""
    if case_already_surveyed:
        return Skip(SkipReason.ALREADY_SURVEYED)
    if reopened_at is not None and reopened_at >= resolved_at:
        return Skip(SkipReason.REOPENED)
    if recently_surveyed(
        customer_last_surveyed_at=customer_last_surveyed_at, at=now, policy=policy
    ):
        return Skip(SkipReason.RECENTLY_SURVEYED)
    return SendSurvey(requested_at=now, expires_at=now + policy.expiry)


class SurveyState(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    EXPIRED = "expired"


def survey_state(
    *, expires_at: datetime, answered_at: datetime | None, now: datetime
) -> SurveyState:
    if answered_at is not None:
        return SurveyState.ANSWERED
    if now >= expires_at:
        return SurveyState.EXPIRED
    return SurveyState.OPEN


class SurveyRefused(Exception):
    """The survey cannot take an answer; the edge maps each kind to its status."""


class UnknownSurvey(SurveyRefused):
    def __init__(self) -> None:
        super().__init__("this survey link is not valid")


class SurveyExpired(SurveyRefused):
    def __init__(self) -> None:
        super().__init__("this survey has expired")


class SurveyAlreadyAnswered(SurveyRefused):
    def __init__(self) -> None:
        super().__init__("this survey has already been answered")


def ensure_open(*, expires_at: datetime, answered_at: datetime | None, now: datetime) -> None:
    state = survey_state(expires_at=expires_at, answered_at=answered_at, now=now)
    if state is SurveyState.ANSWERED:
        raise SurveyAlreadyAnswered()
    if state is SurveyState.EXPIRED:
        raise SurveyExpired()
