"""Handlers for the cases topic and for routing's durable timers.

Each runs inside the transaction the consumer runner or the timer poller opened; every
state change writes its events to the outbox in that same transaction.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import CaseOpened, CaseReopened, OfferExpired
from switchboard.contracts.events.assignments import QueueReason
from switchboard.routing.adapters.orm import AgentRow, CaseRow, LastAgentRow, OfferRow
from switchboard.routing.adapters.pool_notices import announce_waiting
from switchboard.routing.adapters.publishing import (
    SYSTEM,
    agent_fields,
    agent_status,
    publish,
    publish_all,
)
from switchboard.routing.adapters.records import item_from_row, pool_for, stamp
from switchboard.routing.context import OFFER_TIMER, REVIEW_TIMER, RoutingContext
from switchboard.routing.domain.model import ItemState, Presence
from switchboard.routing.domain.policy import advance_steps
from switchboard.routing.queueing import (
    enter_queue,
    exclude,
    mark_waiting,
    release_slot,
    schedule_reviews,
)
from switchboard.servicekit.db import call_after_commit, utcnow
from switchboard.servicekit.timers import Timer, TimerHandler


async def queue_cases(
    session: AsyncSession, envelopes: list[Envelope[CaseOpened]], *, context: RoutingContext
) -> None:
    """New cases wait in their pools' queues; a known customer may prefer their last agent.
    Cases already known (a redelivery under another event id) are left as they are."""
    opened: dict[str, CaseOpened] = {}
    for envelope in envelopes:  # the first event of a case counts, in arrival order
        opened.setdefault(envelope.data.case_id, envelope.data)
    customers = {event.customer_id for event in opened.values()}
    known, last_agent_of = await known_cases_and_last_agents(session, set(opened), customers)
    new = [event for case_id, event in opened.items() if case_id not in known]
    if not new:
        return
    now = utcnow()
    cases = []
    for event in new:
        case = new_case(event, context=context, now=now)
        prefer(case, last_agent_of.get(event.customer_id), context=context, now=now)
        cases.append(case)
    session.add_all(cases)
    queued = mark_waiting(cases, reason=QueueReason.NEW, now=now)
    stamp(session, *cases)
    with session.no_autoflush:  # the new rows are inserted once, at commit, with their revision
        offered = await context.offer_on_arrival(session, cases)
        waiting = [case for case in cases if case.state == ItemState.WAITING.value]
        await schedule_reviews(session, cases=waiting, context=context, new=True)
        await publish_all(session, [*queued, *offered])  # one statement, each case's in order
        await announce_waiting(session, {c.pool for c in waiting if not context.owns(c.pool)})
    if waiting:  # the router looks for agents for the rest; offered cases are done here
        call_after_commit(session, context.wake)


def new_case(opened: CaseOpened, *, context: RoutingContext, now: datetime) -> CaseRow:
    case = CaseRow(
        case_id=opened.case_id,
        customer_id=opened.customer_id,
        region=opened.region,
        department=opened.department,
        channel=opened.channel.value,
        language=opened.language,
        priority=int(opened.priority),
        pool=pool_for(
            region=opened.region,
            department=opened.department,
            by_department=context.pool_by_department,
        ),
        policy="",
        step=0,
        step_started_at=now,
        opened_at=opened.opened_at,
        enqueued_at=opened.opened_at,
        excluded_agents=[],
        state=ItemState.WAITING.value,
        transfers=0,
        reopens=0,
        version=0,
        revision=0,
    )
    case.policy = context.policies.for_case(item_from_row(case)).name
    return case


async def known_cases_and_last_agents(
    session: AsyncSession, case_ids: set[str], customer_ids: set[str]
) -> tuple[set[str], dict[str, str]]:
    """Which of ``case_ids`` routing has already, and each customer's active last agent:
    one round trip for both."""
    cases = select(
        literal("case").label("kind"), CaseRow.case_id.label("id"), null().label("agent_id")
    ).where(CaseRow.case_id.in_(case_ids))
    lasts = select(
        literal("last").label("kind"), LastAgentRow.customer_id, LastAgentRow.agent_id
    ).where(LastAgentRow.customer_id.in_(customer_ids), LastAgentRow.active.is_(True))
    known: set[str] = set()
    last_agent_of: dict[str, str] = {}
    rows: list[Any] = list(await session.execute(union_all(cases, lasts)))
    for kind, key, agent_id in rows:
        if kind == "case":
            known.add(key)
        elif agent_id is not None:
            last_agent_of[key] = agent_id
    return known, last_agent_of


async def requeue_reopened_case(
    session: AsyncSession, envelope: Envelope[CaseReopened], *, context: RoutingContext
) -> None:
    reopened = envelope.data
    case = await session.get(CaseRow, reopened.case_id, with_for_update=True)
    if case is None or case.state != ItemState.DONE.value:
        return
    now = utcnow()
    case.priority = int(reopened.priority)
    case.language = reopened.language
    case.enqueued_at = reopened.reopened_at
    case.step, case.step_started_at = 0, now
    case.excluded_agents = []
    case.reopens += 1
    case.resolved_at = None
    await prefer_last_agent(session, case=case, context=context, now=now)
    await enter_queue(session, case=case, reason=QueueReason.REOPENED, context=context, now=now)
    stamp(session, case)
    call_after_commit(session, context.wake)


async def prefer_last_agent(
    session: AsyncSession, *, case: CaseRow, context: RoutingContext, now: datetime
) -> None:
    last = await session.get(LastAgentRow, case.customer_id)
    prefer(
        case, last.agent_id if last is not None and last.active else None, context=context, now=now
    )


def prefer(
    case: CaseRow, last_agent: str | None, *, context: RoutingContext, now: datetime
) -> None:
    """The customer's last agent (while still active) is preferred for a while."""
    if last_agent is not None:
        case.preferred_agent = last_agent
        case.preferred_until = now + context.preferred_agent_for


async def expire_offer(session: AsyncSession, timer: Timer, *, context: RoutingContext) -> None:
    """An unanswered offer: the case goes back to the queue, the agent is set away."""
    found = await session.get(OfferRow, timer.key)
    if found is None or found.state != "pending":
        return
    # Lock in the order every other writer uses: case, agent, then offer.
    case = await session.get(CaseRow, found.case_id, with_for_update=True)
    agent = await session.get(AgentRow, found.agent_id, with_for_update=True)
    offer = await session.get(OfferRow, timer.key, with_for_update=True, populate_existing=True)
    if offer is None or offer.state != "pending":
        return
    if case is None or agent is None or case.offer_id != offer.offer_id:
        offer.state = "withdrawn"
        return
    now = utcnow()
    offer.state, offer.answered_at = "expired", now
    await release_slot(session, case=case, agent=agent, now=now)
    exclude(case, agent.id)
    await publish(
        session,
        OfferExpired(
            **agent_fields(case, agent),
            offer_id=offer.offer_id,
            offered_at=offer.offered_at,
            expired_at=now,
        ),
    )
    await enter_queue(
        session, case=case, reason=QueueReason.OFFER_EXPIRED, context=context, now=now
    )
    previous = agent.presence
    agent.presence = Presence.AWAY.value
    agent.missed_offers += 1
    if previous != agent.presence:
        await publish(
            session,
            agent_status(agent, previous=previous, at=now, reason="let an offer expire", by=SYSTEM),
        )
    stamp(session, case, agent)
    call_after_commit(session, context.wake)


async def review_case(session: AsyncSession, timer: Timer, *, context: RoutingContext) -> None:
    """A step time-out or a preferred agent's expiry: the case moves to its next step."""
    case = await session.get(CaseRow, timer.key, with_for_update=True)
    if case is None or case.state != ItemState.WAITING.value:
        return
    now = utcnow()
    policy = context.policies.by_name(case.policy)
    case.step, case.step_started_at = advance_steps(
        policy, step=case.step, started_at=case.step_started_at, now=now
    )
    if case.preferred_until is not None and case.preferred_until <= now:
        case.preferred_agent, case.preferred_until = None, None
    await enter_queue(session, case=case, reason=QueueReason.OVERFLOW, context=context, now=now)
    stamp(session, case)
    call_after_commit(session, context.wake)


def timer_handlers(context: RoutingContext) -> dict[str, TimerHandler]:
    return {
        OFFER_TIMER: partial(expire_offer, context=context),
        REVIEW_TIMER: partial(review_case, context=context),
    }


def case_event_handlers(context: RoutingContext) -> dict[type[Any], Any]:
    return {CaseReopened: partial(requeue_reopened_case, context=context)}


def case_event_batch_handlers(context: RoutingContext) -> dict[type[Any], Any]:
    return {CaseOpened: partial(queue_cases, context=context)}
