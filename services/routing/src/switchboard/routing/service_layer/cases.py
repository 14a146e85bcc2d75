"""Cases entering the queue: opened, reopened, and moved on to a broader step in time.

Contacts received on a case already assigned need nothing from routing: the agent already
holds the case, and escalation's clocks read the contact itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import CaseOpened, CaseReopened
from switchboard.contracts.events.assignments import QueueReason
from switchboard.routing.adapters.orm import CaseRow, LastAgentRow
from switchboard.routing.adapters.pool_notices import announce_waiting
from switchboard.routing.adapters.records import item_from_row
from switchboard.routing.domain.model import ItemState, pool_for
from switchboard.routing.domain.policy import advance_steps
from switchboard.routing.service_layer.queueing import enter_queue, mark_waiting, schedule_reviews
from switchboard.routing.service_layer.unit_of_work import RoutingDeps, RoutingUnitOfWork
from switchboard.servicekit.db import utcnow
from switchboard.servicekit.timers import Timer


async def queue_opened_cases(messages: list[Envelope[CaseOpened]], uow: RoutingUnitOfWork) -> None:
    """New cases wait in their pools' queues, and those a free agent can take are offered
    at once; a known customer may prefer their last agent. Cases already known (a
    redelivery under another event id) are left as they are."""
    opened: dict[str, CaseOpened] = {}
    for message in messages:  # the first event of a case counts, in arrival order
        opened.setdefault(message.data.case_id, message.data)
    customers = {event.customer_id for event in opened.values()}
    session, deps = uow.session, uow.deps
    known, last_agent_of = await known_cases_and_last_agents(session, set(opened), customers)
    new = [event for case_id, event in opened.items() if case_id not in known]
    if not new:
        return
    now = utcnow()
    cases = [new_case(event, deps=deps, now=now) for event in new]
    for case in cases:
        prefer(case, last_agent_of.get(case.customer_id), deps=deps, now=now)
    session.add_all(cases)
    queued = mark_waiting(cases, reason=QueueReason.NEW, now=now)
    with session.no_autoflush:  # the new rows are inserted once, at commit, with their revision
        offered = await deps.offers.offer_on_arrival(uow, cases)
        waiting = [case for case in cases if case.state == ItemState.WAITING.value]
        await schedule_reviews(uow, cases=waiting, new=True)
        await uow.publish(*queued, *offered)  # one statement, each case's events in order
        await announce_waiting(session, {c.pool for c in waiting if not deps.offers.owns(c.pool)})


def new_case(opened: CaseOpened, *, deps: RoutingDeps, now: datetime) -> CaseRow:
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
            by_department=deps.pool_by_department,
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
        revision=0,
    )
    case.policy = deps.policies.current.for_case(item_from_row(case)).name
    return case


async def known_cases_and_last_agents(
    session: AsyncSession, case_ids: set[str], customer_ids: set[str]
) -> tuple[set[str], dict[str, str]]:
    """Which of ``case_ids`` routing has already, and each customer's last agent: one
    round trip for both."""
    cases = select(
        literal("case").label("kind"), CaseRow.case_id.label("id"), null().label("agent_id")
    ).where(CaseRow.case_id.in_(case_ids))
    lasts = select(
        literal("last").label("kind"), LastAgentRow.customer_id, LastAgentRow.agent_id
    ).where(LastAgentRow.customer_id.in_(customer_ids))
    known: set[str] = set()
    last_agent_of: dict[str, str] = {}
    rows: list[Any] = list(await session.execute(union_all(cases, lasts)))
    for kind, key, agent_id in rows:
        if kind == "case":
            known.add(key)
        elif agent_id is not None:
            last_agent_of[key] = agent_id
    return known, last_agent_of


async def requeue_reopened_case(message: Envelope[CaseReopened], uow: RoutingUnitOfWork) -> None:
    """A resolved case is back: it waits again, from its first step, for its last agent
    first."""
    reopened = message.data
    case = await uow.session.get(CaseRow, reopened.case_id, with_for_update=True)
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
    last = await uow.session.get(LastAgentRow, case.customer_id)
    prefer(case, last.agent_id if last is not None else None, deps=uow.deps, now=now)
    await enter_queue(uow, case=case, reason=QueueReason.REOPENED, now=now)


def prefer(case: CaseRow, last_agent: str | None, *, deps: RoutingDeps, now: datetime) -> None:
    """The customer's last agent is preferred for a while."""
    if last_agent is not None:
        case.preferred_agent = last_agent
        case.preferred_until = now + deps.preferred_agent_for


async def review_case(timer: Timer, uow: RoutingUnitOfWork) -> None:
    """A step time-out or a preferred agent's expiry: the case moves to its next step."""
    case = await uow.session.get(CaseRow, timer.key, with_for_update=True)
    if case is None or case.state != ItemState.WAITING.value:
        return
    now = utcnow()
    policy = uow.deps.policies.current.by_name(case.policy)
    case.step, case.step_started_at = advance_steps(
        policy, step=case.step, started_at=case.step_started_at, now=now
    )
    if case.preferred_until is not None and case.preferred_until <= now:
        case.preferred_agent, case.preferred_until = None, None
    await enter_queue(uow, case=case, reason=QueueReason.OVERFLOW, now=now)
