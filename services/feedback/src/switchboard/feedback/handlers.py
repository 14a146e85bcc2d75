"""Event handlers: keep the case view, count KPIs, schedule and cancel survey timers.

Each runs inside the consumer's transaction, together with the inbox record; everything
it changes (roll-ups, timers, outbox rows) commits or rolls back as one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import (
    AgentReplied,
    CaseOpened,
    CaseReopened,
    CaseResolved,
    SlaAchieved,
    SlaBreached,
)
from switchboard.feedback.adapters.orm import CaseRecord, CustomerRecord, SurveyRecord
from switchboard.feedback.adapters.rollup_store import add_measurement
from switchboard.feedback.domain import kpis
from switchboard.feedback.domain.rollups import Measurement, zone_for
from switchboard.feedback.domain.surveys import ScheduleSurvey, on_resolution
from switchboard.feedback.settings import FeedbackSettings
from switchboard.servicekit import timers

SURVEY_DUE = "feedback.survey-due"


async def add_to_rollups(
    session: AsyncSession,
    *,
    settings: FeedbackSettings,
    at: datetime,
    region: str,
    channel: str,
    counters: kpis.Counters,
    agent_id: str | None = None,
    team: str | None = None,
) -> None:
    measurement = Measurement(
        at=at, region=region, channel=channel, counters=counters, agent_id=agent_id, team=team
    )
    zone = zone_for(region, settings.region_time_zones)
    await add_measurement(session, measurement=measurement, zone=zone)


async def case_for_update(
    session: AsyncSession, *, case_id: str, region: str, channel: str
) -> CaseRecord:
    """The case's row, locked; created from the event when this is the first we hear of it."""
    case = await session.get(CaseRecord, case_id, with_for_update=True)
    if case is None:
        case = CaseRecord(case_id=case_id, region=region, channel=channel)
        session.add(case)
        await session.flush()
    return case


async def count_first_response_once(
    session: AsyncSession, *, case: CaseRecord, settings: FeedbackSettings
) -> None:
    """First response time needs both the opening and the first reply, in either order."""
    if case.first_response_counted or case.opened_at is None or case.first_replied_at is None:
        return
    seconds = (case.first_replied_at - case.opened_at).total_seconds()
    await add_to_rollups(
        session,
        settings=settings,
        at=case.first_replied_at,
        region=case.region,
        channel=case.channel,
        agent_id=case.agent_id,
        team=case.team,
        counters=kpis.first_response_counters(seconds=seconds),
    )
    case.first_response_counted = True


async def record_case_opened(
    session: AsyncSession, envelope: Envelope[CaseOpened], *, settings: FeedbackSettings
) -> None:
    event = envelope.data
    case = await case_for_update(
        session, case_id=event.case_id, region=event.region, channel=event.channel
    )
    case.customer_id = event.customer_id
    case.language = case.language or event.language
    case.thread_ref = event.thread_ref
    case.vip = event.vip
    case.opened_at = event.opened_at
    await add_to_rollups(
        session,
        settings=settings,
        at=event.opened_at,
        region=event.region,
        channel=event.channel,
        counters=kpis.case_opened_counters(),
    )
    await count_first_response_once(session, case=case, settings=settings)


async def record_case_reopened(
    session: AsyncSession, envelope: Envelope[CaseReopened], *, settings: FeedbackSettings
) -> None:
    """Count the reopen and cancel a survey still waiting for its delay."""
    event = envelope.data
    case = await case_for_update(
        session, case_id=event.case_id, region=event.region, channel=event.channel
    )
    case.customer_id = case.customer_id or event.customer_id
    case.language = event.language
    if case.reopened_at is None or event.reopened_at > case.reopened_at:
        case.reopened_at = event.reopened_at
    await timers.cancel(session, kind=SURVEY_DUE, key=event.case_id)
    await add_to_rollups(
        session,
        settings=settings,
        at=event.reopened_at,
        region=event.region,
        channel=event.channel,
        counters=kpis.case_reopened_counters(),
    )


async def record_agent_replied(
    session: AsyncSession, envelope: Envelope[AgentReplied], *, settings: FeedbackSettings
) -> None:
    event = envelope.data
    if not event.is_first_response:
        return
    case = await case_for_update(
        session, case_id=event.case_id, region=event.region, channel=event.channel
    )
    if case.first_replied_at is not None:
        return
    case.first_replied_at = event.replied_at
    case.agent_id, case.team = event.agent_id, event.team
    await count_first_response_once(session, case=case, settings=settings)


async def record_case_resolved(
    session: AsyncSession, envelope: Envelope[CaseResolved], *, settings: FeedbackSettings
) -> None:
    """Count the resolution and schedule its survey after the delay, unless suppressed."""
    event = envelope.data
    case = await case_for_update(
        session, case_id=event.case_id, region=event.region, channel=event.channel
    )
    case.customer_id = event.customer_id
    case.language = event.language
    case.agent_id, case.team = event.agent_id, event.team
    case.resolved_at = event.resolved_at
    await add_to_rollups(
        session,
        settings=settings,
        at=event.resolved_at,
        region=event.region,
        channel=event.channel,
        agent_id=event.agent_id,
        team=event.team,
        counters=kpis.resolution_counters(
            seconds=(event.resolved_at - event.opened_at).total_seconds(),
            first_contact=event.first_contact_resolution,
        ),
    )
    already = await session.scalar(
        select(SurveyRecord.survey_id).where(SurveyRecord.case_id == event.case_id)
    )
    customer = await session.get(CustomerRecord, event.customer_id)
    decision = on_resolution(
        resolved_at=event.resolved_at,
        case_already_surveyed=already is not None,
        customer_last_surveyed_at=customer.last_surveyed_at if customer else None,
        policy=settings.survey_policy,
    )
    if isinstance(decision, ScheduleSurvey):
        payload: dict[str, Any] = {"resolved_at": event.resolved_at.isoformat()}
        await timers.schedule(
            session, kind=SURVEY_DUE, key=event.case_id, due_at=decision.due_at, payload=payload
        )


async def record_sla_outcome(
    session: AsyncSession,
    envelope: Envelope[SlaAchieved] | Envelope[SlaBreached],
    *,
    settings: FeedbackSettings,
) -> None:
    event = envelope.data
    achieved = isinstance(event, SlaAchieved)
    at = event.achieved_at if isinstance(event, SlaAchieved) else event.breached_at
    await add_to_rollups(
        session,
        settings=settings,
        at=at,
        region=event.region,
        channel=event.channel,
        agent_id=event.agent_id,
        team=event.team,
        counters=kpis.sla_counters(achieved=achieved),
    )
