"""What agents and admins do through the API: directory, presence, offers and work.

Each function runs in the caller's transaction, checks the case's state under a row lock
(case first, then agent, everywhere), and writes its events to the outbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.contracts.events import (
    AgentReplied,
    CaseAssigned,
    CaseResolved,
    CaseTransferred,
    OfferDeclined,
)
from switchboard.contracts.events.assignments import QueueReason
from switchboard.contracts.events.common import Channel
from switchboard.contracts.events.explanation import Explanation
from switchboard.routing.adapters.last_agents import remember_last_agent
from switchboard.routing.adapters.orm import AgentRow, CaseRow, OfferRow
from switchboard.routing.adapters.publishing import agent_actor, agent_fields, agent_status, publish
from switchboard.routing.adapters.records import item_from_row, pool_for, stamp
from switchboard.routing.context import OFFER_TIMER, RoutingContext
from switchboard.routing.domain.errors import UnknownAgent, UnknownCase, WrongState
from switchboard.routing.domain.model import ItemState, Presence
from switchboard.routing.queueing import enter_queue, exclude, release_slot
from switchboard.servicekit import timers
from switchboard.servicekit.db import call_after_commit


async def save_agent(
    session: AsyncSession, *, agent_id: str, profile: Mapping[str, Any], now: datetime
) -> AgentRow:
    """Create or update an agent's profile; presence and current load are kept."""
    agent = await session.get(AgentRow, agent_id, with_for_update=True)
    created = agent is None
    if agent is None:
        agent = AgentRow(
            id=agent_id,
            presence=Presence.OFFLINE.value,
            idle_since=now,
            load={},
            missed_offers=0,
            version=0,
            revision=0,
        )
        session.add(agent)
    agent.region = profile["region"]
    agent.team = profile.get("team")
    agent.pools = list(profile.get("pools") or [profile["region"]])
    agent.skills = dict(profile.get("skills", {}))
    agent.languages = list(profile.get("languages", []))
    agent.capacity = dict(profile["capacity"])
    agent.version += 1
    if created:
        await publish(session, agent_status(agent, previous=None, at=now, reason="agent created"))
    stamp(session, agent)
    return agent


async def set_presence(
    session: AsyncSession,
    *,
    agent_id: str,
    presence: Presence,
    context: RoutingContext,
    now: datetime,
) -> AgentRow:
    """Change presence; going offline puts every unaccepted offer back in the queue."""
    offered: list[CaseRow] = []
    if presence is Presence.OFFLINE:
        rows = await session.scalars(
            select(CaseRow)
            .where(CaseRow.agent_id == agent_id, CaseRow.state == ItemState.OFFERED.value)
            .order_by(CaseRow.case_id)
            .with_for_update()
        )
        offered = list(rows.all())
    agent = await _agent(session, agent_id, lock=True)
    touched: list[AgentRow | CaseRow] = []
    for case in offered:
        offer = await session.get(OfferRow, case.offer_id)
        if offer is not None:
            offer.state, offer.answered_at = "withdrawn", now
        await release_slot(session, case=case, agent=agent, now=now)
        await enter_queue(
            session, case=case, reason=QueueReason.AGENT_OFFLINE, context=context, now=now
        )
        touched.append(case)
    previous = agent.presence
    if previous != presence.value or touched:
        agent.presence = presence.value
        if presence is Presence.AVAILABLE:
            agent.idle_since = now
            agent.missed_offers = 0
        agent.version += 1
        await publish(
            session, agent_status(agent, previous=previous, at=now, by=agent_actor(agent_id))
        )
        stamp(session, agent, *touched)
        call_after_commit(session, context.wake)
    return agent


async def accept_offer(
    session: AsyncSession, *, case_id: str, agent_id: str, context: RoutingContext, now: datetime
) -> CaseRow:
    case = await _held(session, case_id, agent_id, ItemState.OFFERED)
    agent = await _agent(session, agent_id, lock=True)
    offer = await session.get(OfferRow, case.offer_id, with_for_update=True)
    if offer is None or offer.state != "pending":
        raise WrongState(f"the offer of case {case_id!r} is no longer open")
    offer.state, offer.answered_at = "accepted", now
    case.state, case.assigned_at = ItemState.ASSIGNED.value, now
    case.version += 1
    await release_offer_timer(session, case)
    await publish(
        session,
        CaseAssigned(
            **agent_fields(case, agent),
            offer_id=offer.offer_id,
            assigned_at=now,
            enqueued_at=case.enqueued_at,
            explanation=Explanation.model_validate(offer.explanation),
        ),
    )
    stamp(session, case)
    return case


async def decline_offer(
    session: AsyncSession,
    *,
    case_id: str,
    agent_id: str,
    reason: str | None,
    context: RoutingContext,
    now: datetime,
) -> CaseRow:
    case = await _held(session, case_id, agent_id, ItemState.OFFERED)
    agent = await _agent(session, agent_id, lock=True)
    offer_id = case.offer_id or ""
    offer = await session.get(OfferRow, offer_id, with_for_update=True)
    if offer is not None:
        offer.state, offer.answered_at = "declined", now
    await release_slot(session, case=case, agent=agent, now=now)
    exclude(case, agent_id)
    await publish(
        session,
        OfferDeclined(
            **agent_fields(case, agent),
            offer_id=offer_id,
            declined_at=now,
            reason=reason[:200] if reason else None,
        ),
    )
    await enter_queue(
        session, case=case, reason=QueueReason.OFFER_DECLINED, context=context, now=now
    )
    stamp(session, case, agent)
    call_after_commit(session, context.wake)
    return case


async def record_reply(
    session: AsyncSession, *, case_id: str, agent_id: str, message_id: str, now: datetime
) -> CaseRow:
    """The agent replied; the first reply is flagged for the first-response SLA."""
    case = await _held(session, case_id, agent_id, ItemState.ASSIGNED)
    agent = await _agent(session, agent_id, lock=False)
    is_first = case.first_response_at is None
    if is_first:
        case.first_response_at = now
    case.version += 1
    await publish(
        session,
        AgentReplied(
            **agent_fields(case, agent),
            message_id=message_id,
            replied_at=now,
            is_first_response=is_first,
        ),
    )
    stamp(session, case)
    return case


async def transfer_case(
    session: AsyncSession,
    *,
    case_id: str,
    agent_id: str,
    region: str | None,
    department: str | None,
    note: str | None,
    context: RoutingContext,
    now: datetime,
) -> CaseRow:
    """Send an assigned case to another region or department; it keeps its age."""
    case = await _held(session, case_id, agent_id, ItemState.ASSIGNED)
    agent = await _agent(session, agent_id, lock=True)
    from_pool = case.pool
    await release_slot(session, case=case, agent=agent, now=now)
    exclude(case, agent_id)
    case.region = region or case.region
    case.department = department or case.department
    case.pool = pool_for(
        region=case.region, department=case.department, by_department=context.pool_by_department
    )
    case.policy = context.policies.for_case(item_from_row(case)).name
    case.step, case.step_started_at = 0, now
    case.preferred_agent, case.preferred_until = None, None
    case.transfers += 1
    await publish(
        session,
        CaseTransferred(
            case_id=case.case_id,
            region=case.region,
            channel=Channel(case.channel),
            from_agent_id=agent_id,
            from_queue_id=from_pool,
            to_queue_id=case.pool,
            to_department=department,
            to_region=region,
            by=agent_actor(agent_id),
            reason=note,
            enqueued_at=case.enqueued_at,
            transferred_at=now,
        ),
    )
    await enter_queue(session, case=case, reason=QueueReason.TRANSFER, context=context, now=now)
    stamp(session, case, agent)
    call_after_commit(session, context.wake)
    return case


async def resolve_case(
    session: AsyncSession,
    *,
    case_id: str,
    agent_id: str,
    resolution_code: str,
    note: str | None,
    now: datetime,
) -> CaseRow:
    """Resolved: the agent wraps up before the slot frees; the customer prefers them next."""
    case = await _held(session, case_id, agent_id, ItemState.ASSIGNED)
    agent = await _agent(session, agent_id, lock=False)
    case.state, case.resolved_at = ItemState.WRAP_UP.value, now
    case.version += 1
    await remember_last_agent(
        session, customer_id=case.customer_id, agent_id=agent_id, resolved_at=now
    )
    await publish(
        session,
        CaseResolved(
            **agent_fields(case, agent),
            customer_id=case.customer_id,
            language=case.language,
            opened_at=case.opened_at,
            resolved_at=now,
            resolution_code=resolution_code,
            first_contact_resolution=case.transfers == 0 and case.reopens == 0,
            handle_seconds=max(0.0, (now - (case.assigned_at or now)).total_seconds()),
            note=note,
        ),
    )
    stamp(session, case)
    return case


async def finish_wrap_up(
    session: AsyncSession, *, case_id: str, agent_id: str, context: RoutingContext, now: datetime
) -> CaseRow:
    case = await _held(session, case_id, agent_id, ItemState.WRAP_UP)
    agent = await _agent(session, agent_id, lock=True)
    await release_slot(session, case=case, agent=agent, now=now)
    case.state = ItemState.DONE.value
    case.version += 1
    stamp(session, case, agent)
    call_after_commit(session, context.wake)
    return case


async def release_offer_timer(session: AsyncSession, case: CaseRow) -> None:
    if case.offer_id:
        await timers.cancel(session, kind=OFFER_TIMER, key=case.offer_id)


async def _held(session: AsyncSession, case_id: str, agent_id: str, state: ItemState) -> CaseRow:
    case = await session.get(CaseRow, case_id, with_for_update=True)
    if case is None:
        raise UnknownCase(case_id)
    if case.agent_id != agent_id or case.state != state.value:
        raise WrongState(f"case {case_id!r} is not {state.value} for agent {agent_id!r}")
    return case


async def _agent(session: AsyncSession, agent_id: str, *, lock: bool) -> AgentRow:
    if lock:
        agent = await session.get(AgentRow, agent_id, with_for_update=True, populate_existing=True)
    else:
        agent = await session.get(AgentRow, agent_id)
    if agent is None:
        raise UnknownAgent(agent_id)
    return agent
