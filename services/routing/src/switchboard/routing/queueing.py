"""Putting a case (back) in its queue: state, timers and the CaseQueued event together."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.contracts.events.assignments import QueueReason
from switchboard.routing.adapters.orm import AgentRow, CaseRow
from switchboard.routing.adapters.publishing import case_queued, publish
from switchboard.routing.adapters.records import add_load
from switchboard.routing.context import OFFER_TIMER, REVIEW_TIMER, RoutingContext
from switchboard.routing.domain.model import ItemState
from switchboard.routing.domain.policy import next_review_at
from switchboard.servicekit import timers


async def enter_queue(
    session: AsyncSession,
    *,
    case: CaseRow,
    reason: QueueReason,
    context: RoutingContext,
    now: datetime,
) -> None:
    """Mark ``case`` waiting, publish CaseQueued and set its step-review timer."""
    case.state = ItemState.WAITING.value
    case.agent_id = None
    case.offer_id = None
    case.version += 1
    await publish(session, case_queued(case, reason=reason, at=now))
    await schedule_review(session, case=case, context=context)


async def schedule_review(session: AsyncSession, *, case: CaseRow, context: RoutingContext) -> None:
    policy = context.policies.by_name(case.policy)
    due = next_review_at(
        policy,
        step=case.step,
        step_started_at=case.step_started_at,
        preferred_until=case.preferred_until if case.preferred_agent else None,
    )
    if due is None:
        await timers.cancel(session, kind=REVIEW_TIMER, key=case.case_id)
    else:
        await timers.schedule(session, kind=REVIEW_TIMER, key=case.case_id, due_at=due)


async def release_slot(
    session: AsyncSession, *, case: CaseRow, agent: AgentRow, now: datetime
) -> None:
    """Give back the slot ``case`` held on ``agent`` and drop a pending offer timer."""
    add_load(agent, case.channel, -1)
    agent.idle_since = now
    agent.version += 1
    if case.offer_id:
        await timers.cancel(session, kind=OFFER_TIMER, key=case.offer_id)


def exclude(case: CaseRow, agent_id: str) -> None:
    if agent_id not in case.excluded_agents:
        case.excluded_agents = [*case.excluded_agents, agent_id]
