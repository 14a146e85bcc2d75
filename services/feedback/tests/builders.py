"""Upstream events as intake, routing and escalation write them, for unit and integration
tests alike."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from switchboard.contracts.events import (
    AgentReplied,
    CaseOpened,
    CaseReopened,
    CaseResolved,
    SlaAchieved,
    SlaBreached,
)
from switchboard.contracts.events.cases import ReopenReason
from switchboard.contracts.events.common import Channel, Priority
from switchboard.contracts.events.sla import SlaMetric


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def instant(seconds_ago: float = 0) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=seconds_ago)


def case_opened(
    *,
    case_id: str,
    customer_id: str,
    at: datetime,
    language: str = "en",
    region: str = "nordics",
    channel: Channel = Channel.EMAIL,
) -> CaseOpened:
    return CaseOpened(
        case_id=case_id,
        customer_id=customer_id,
        region=region,
        channel=channel,
        opened_at=at,
        first_contact_id=new_id("contact"),
        language=language,
        language_confidence=0.97,
        priority=Priority.NORMAL,
        thread_ref=f"<{case_id}@mail.example>",
    )


def agent_replied(
    *,
    case_id: str,
    at: datetime,
    agent_id: str = "agent-1",
    region: str = "nordics",
    channel: Channel = Channel.EMAIL,
) -> AgentReplied:
    return AgentReplied(
        case_id=case_id,
        region=region,
        channel=channel,
        agent_id=agent_id,
        team="billing",
        message_id=new_id("msg"),
        replied_at=at,
        is_first_response=True,
    )


def case_resolved(
    *,
    case_id: str,
    customer_id: str,
    opened_at: datetime,
    at: datetime,
    language: str = "en",
    agent_id: str = "agent-1",
    region: str = "nordics",
    channel: Channel = Channel.EMAIL,
    first_contact: bool = True,
) -> CaseResolved:
    return CaseResolved(
        case_id=case_id,
        region=region,
        channel=channel,
        agent_id=agent_id,
        team="billing",
        customer_id=customer_id,
        language=language,
        opened_at=opened_at,
        resolved_at=at,
        resolution_code="answered",
        first_contact_resolution=first_contact,
        handle_seconds=(at - opened_at).total_seconds(),
    )


def case_reopened(
    *,
    case_id: str,
    customer_id: str,
    resolved_at: datetime,
    at: datetime,
    region: str = "nordics",
    channel: Channel = Channel.EMAIL,
) -> CaseReopened:
    return CaseReopened(
        case_id=case_id,
        customer_id=customer_id,
        region=region,
        channel=channel,
        reopened_at=at,
        reason=ReopenReason.CUSTOMER_REPLY,
        previous_resolved_at=resolved_at,
        priority=Priority.NORMAL,
        language="en",
    )


def sla_outcome(
    *,
    case_id: str,
    at: datetime,
    achieved: bool,
    region: str = "nordics",
    channel: Channel = Channel.EMAIL,
) -> SlaAchieved | SlaBreached:
    common = {
        "clock_id": new_id("clock"),
        "case_id": case_id,
        "metric": SlaMetric.FIRST_RESPONSE,
        "policy_id": "standard",
        "target_seconds": 3600.0,
        "elapsed_seconds": 600.0,
        "due_at": at + timedelta(hours=1),
        "region": region,
        "channel": channel,
        "priority": Priority.NORMAL,
        "agent_id": "agent-1",
        "team": "billing",
    }
    if achieved:
        return SlaAchieved(**common, achieved_at=at)
    return SlaBreached(**common, breached_at=at)
