"""Which case a contact belongs to: join an open one, reopen a resolved one, or open anew.

Pure decision over the candidate cases the caller found by thread reference and by
customer; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from switchboard.intake.domain.values import Channel


class CaseStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class CandidateCase:
    case_id: str
    channel: Channel
    status: CaseStatus
    last_activity_at: datetime
    resolved_at: datetime | None = None
    matched_thread_ref: bool = False
    """Found through the contact's own thread references (a reply, the same chat session)."""


class ThreadAction(StrEnum):
    JOIN = "join"
    REOPEN = "reopen"
    OPEN_NEW = "open_new"


class ThreadReason(StrEnum):
    SAME_THREAD = "same_thread"
    SAME_CUSTOMER_AND_CHANNEL = "same_customer_and_channel"
    NO_MATCH = "no_match"


@dataclass(frozen=True)
class ThreadDecision:
    action: ThreadAction
    reason: ThreadReason
    case_id: str | None = None


def decide_thread(
    *,
    channel: Channel,
    candidates: Iterable[CandidateCase],
    now: datetime,
    reopen_window: timedelta,
) -> ThreadDecision:
    """A thread match beats a customer match; an open case beats a resolved one."""
    cases = list(candidates)
    by_thread = [case for case in cases if case.matched_thread_ref]
    by_customer = [case for case in cases if case.channel == channel]
    for group, reason in (
        (by_thread, ThreadReason.SAME_THREAD),
        (by_customer, ThreadReason.SAME_CUSTOMER_AND_CHANNEL),
    ):
        decision = _decide_within(group, reason=reason, now=now, reopen_window=reopen_window)
        if decision is not None:
            return decision
    return ThreadDecision(ThreadAction.OPEN_NEW, ThreadReason.NO_MATCH)


def _decide_within(
    cases: list[CandidateCase], *, reason: ThreadReason, now: datetime, reopen_window: timedelta
) -> ThreadDecision | None:
    open_cases = [case for case in cases if case.status is CaseStatus.OPEN]
    if open_cases:
        latest = max(open_cases, key=lambda case: (case.last_activity_at, case.case_id))
        return ThreadDecision(ThreadAction.JOIN, reason, latest.case_id)
    recently_resolved = [
        case
        for case in cases
        if case.resolved_at is not None and now - case.resolved_at <= reopen_window
    ]
    if recently_resolved:
        latest = max(recently_resolved, key=lambda case: (case.resolved_at, case.case_id))
        return ThreadDecision(ThreadAction.REOPEN, reason, latest.case_id)
    return None
