"""A case's life as feedback hears it (opened, first reply, resolved, reopened, its SLA
results): the case's view kept for its survey, each event counted in the KPI roll-ups.

Each handler runs in the consumer's transaction with the inbox record, so the roll-ups,
the case's row and its survey timer change together or not at all.
"""

from __future__ import annotations

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import (
    AgentReplied,
    CaseOpened,
    CaseReopened,
    CaseResolved,
    SlaAchieved,
    SlaBreached,
)
from switchboard.feedback.adapters.orm import CaseRow
from switchboard.feedback.domain import kpis
from switchboard.feedback.service_layer.rollups import add_to_rollups
from switchboard.feedback.service_layer.surveys import cancel_survey, schedule_survey
from switchboard.feedback.service_layer.unit_of_work import FeedbackUnitOfWork


async def case_for_update(
    uow: FeedbackUnitOfWork, *, case_id: str, region: str, channel: str
) -> CaseRow:
    """The case's row, locked; created from the event when this is the first we hear of it."""
    case = await uow.session.get(CaseRow, case_id, with_for_update=True)
    if case is None:
        case = CaseRow(case_id=case_id, region=region, channel=channel)
        uow.session.add(case)
        await uow.session.flush()
    return case


async def count_first_response_once(uow: FeedbackUnitOfWork, *, case: CaseRow) -> None:
    """First response time needs both the opening and the first reply, in either order."""
    if case.first_response_counted or case.opened_at is None or case.first_replied_at is None:
        return
    seconds = (case.first_replied_at - case.opened_at).total_seconds()
    await add_to_rollups(
        uow,
        at=case.first_replied_at,
        region=case.region,
        channel=case.channel,
        agent_id=case.agent_id,
        team=case.team,
        counters=kpis.first_response_counters(seconds=seconds),
    )
    case.first_response_counted = True


async def record_case_opened(message: Envelope[CaseOpened], uow: FeedbackUnitOfWork) -> None:
    event = message.data
    case = await case_for_update(
        uow, case_id=event.case_id, region=event.region, channel=event.channel
    )
    case.customer_id = event.customer_id
    case.language = case.language or event.language
    case.thread_ref = event.thread_ref
    case.vip = event.vip
    case.opened_at = event.opened_at
    await add_to_rollups(
        uow,
        at=event.opened_at,
        region=event.region,
        channel=event.channel,
        counters=kpis.case_opened_counters(),
    )
    await count_first_response_once(uow, case=case)


async def record_case_reopened(message: Envelope[CaseReopened], uow: FeedbackUnitOfWork) -> None:
    """Count the reopen and call off a survey still waiting for its delay."""
    event = message.data
    case = await case_for_update(
        uow, case_id=event.case_id, region=event.region, channel=event.channel
    )
    case.customer_id = case.customer_id or event.customer_id
    case.language = event.language
    if case.reopened_at is None or event.reopened_at > case.reopened_at:
        case.reopened_at = event.reopened_at
    await cancel_survey(uow, case_id=event.case_id)
    await add_to_rollups(
        uow,
        at=event.reopened_at,
        region=event.region,
        channel=event.channel,
        counters=kpis.case_reopened_counters(),
    )


async def record_agent_replied(message: Envelope[AgentReplied], uow: FeedbackUnitOfWork) -> None:
    event = message.data
    if not event.is_first_response:
        return
    case = await case_for_update(
        uow, case_id=event.case_id, region=event.region, channel=event.channel
    )
    if case.first_replied_at is not None:
        return
    case.first_replied_at = event.replied_at
    case.agent_id, case.team = event.agent_id, event.team
    await count_first_response_once(uow, case=case)


async def record_case_resolved(message: Envelope[CaseResolved], uow: FeedbackUnitOfWork) -> None:
    """Count the resolution and time its survey."""
    event = message.data
    case = await case_for_update(
        uow, case_id=event.case_id, region=event.region, channel=event.channel
    )
    case.customer_id = event.customer_id
    case.language = event.language
    case.agent_id, case.team = event.agent_id, event.team
    case.resolved_at = event.resolved_at
    await add_to_rollups(
        uow,
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
    await schedule_survey(
        uow,
        case_id=event.case_id,
        customer_id=event.customer_id,
        resolved_at=event.resolved_at,
    )


async def record_sla_outcome(
    message: Envelope[SlaAchieved] | Envelope[SlaBreached], uow: FeedbackUnitOfWork
) -> None:
    event = message.data
    achieved = isinstance(event, SlaAchieved)
    at = event.achieved_at if isinstance(event, SlaAchieved) else event.breached_at
    await add_to_rollups(
        uow,
        at=at,
        region=event.region,
        channel=event.channel,
        agent_id=event.agent_id,
        team=event.team,
        counters=kpis.sla_counters(achieved=achieved),
    )
