"""Putting a case (back) in its queue: state, timers and the CaseQueued event together."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.contracts.events import CaseQueued
from switchboard.contracts.events.assignments import QueueReason
from switchboard.routing.adapters.orm import AgentRow, CaseRow
from switchboard.routing.adapters.publishing import case_queued, load_changed, publish, publish_all
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
    await publish_all(session, mark_waiting([case], reason=reason, now=now))
    await schedule_reviews(session, cases=[case], context=context)


def mark_waiting(
    cases: Sequence[CaseRow], *, reason: QueueReason, now: datetime
) -> list[CaseQueued]:
    """Put the cases in the waiting state; the CaseQueued events that say so."""
    for case in cases:
        case.state = ItemState.WAITING.value
        case.agent_id = None
        case.offer_id = None
        case.version += 1
    return [case_queued(case, reason=reason, at=now) for case in cases]


async def schedule_reviews(
    session: AsyncSession, *, cases: Sequence[CaseRow], context: RoutingContext, new: bool = False
) -> None:
    """Set each case's next step-review timer, or drop it when its steps are done."""
    due: list[tuple[str, datetime, dict[str, Any] | None]] = []
    done: list[str] = []
    for case in cases:
        policy = context.policies.by_name(case.policy)
        at = next_review_at(
            policy,
            step=case.step,
            step_started_at=case.step_started_at,
            preferred_until=case.preferred_until if case.preferred_agent else None,
        )
        if at is None:
            done.append(case.case_id)
        else:
            due.append((case.case_id, at, None))
    await timers.schedule_many(session, kind=REVIEW_TIMER, due=due)
    if not new:
        await timers.cancel_many(session, kind=REVIEW_TIMER, keys=done)


async def release_slot(
    session: AsyncSession, *, case: CaseRow, agent: AgentRow, now: datetime
) -> None:
    """Give back the slot ``case`` held on ``agent``, announce the agent's new load and drop
    a pending offer timer."""
    add_load(agent, case.channel, -1)
    agent.idle_since = now
    agent.version += 1
    await publish(session, load_changed(agent, at=now))
    if case.offer_id:
        await timers.cancel(session, kind=OFFER_TIMER, key=case.offer_id)


def exclude(case: CaseRow, agent_id: str) -> None:
    if agent_id not in case.excluded_agents:
        case.excluded_agents = [*case.excluded_agents, agent_id]
