"""An offer answered: accepted, declined, or left to expire.

Each locks the case first, then the agent, then the offer, like every other writer.
"""

from __future__ import annotations

from datetime import datetime

from switchboard.contracts.events import CaseAssigned, OfferDeclined, OfferExpired
from switchboard.contracts.events.assignments import QueueReason
from switchboard.contracts.events.explanation import Explanation
from switchboard.routing.adapters import repository
from switchboard.routing.adapters.contract_events import SYSTEM, agent_fields, agent_status
from switchboard.routing.adapters.orm import AgentRow, CaseRow, OfferRow
from switchboard.routing.domain.errors import WrongState
from switchboard.routing.domain.model import ItemState, Presence
from switchboard.routing.service_layer.personal_fields import sealed_case_text
from switchboard.routing.service_layer.queueing import (
    cancel_offer_timer,
    enter_queue,
    exclude,
    release_slot,
)
from switchboard.routing.service_layer.unit_of_work import RoutingUnitOfWork
from switchboard.servicekit.db import utcnow
from switchboard.servicekit.timers import Timer


async def accept_offer(
    *, uow: RoutingUnitOfWork, case_id: str, agent_id: str, now: datetime
) -> CaseRow:
    session = uow.session
    case, agent = await repository.held_case_and_agent(
        session, case_id=case_id, agent_id=agent_id, state=ItemState.OFFERED, lock_agent=True
    )
    offer = await session.get(OfferRow, case.offer_id, with_for_update=True)
    if offer is None or offer.state != "pending":
        raise WrongState(f"the offer of case {case_id!r} is no longer open")
    offer.state, offer.answered_at = "accepted", now
    case.state, case.assigned_at = ItemState.ASSIGNED.value, now
    await cancel_offer_timer(uow, case)
    await uow.publish(
        CaseAssigned(
            **agent_fields(case, agent),
            offer_id=offer.offer_id,
            assigned_at=now,
            enqueued_at=case.enqueued_at,
            explanation=Explanation.model_validate(offer.explanation),
        )
    )
    return case


async def decline_offer(
    *, uow: RoutingUnitOfWork, case_id: str, agent_id: str, reason: str | None, now: datetime
) -> CaseRow:
    """The reason goes out sealed under the customer's key."""
    sealed = await sealed_case_text(
        uow, case_id=case_id, field="reason", text=reason[:200] if reason else None
    )
    session = uow.session
    case, agent = await repository.held_case_and_agent(
        session, case_id=case_id, agent_id=agent_id, state=ItemState.OFFERED, lock_agent=True
    )
    offer_id = case.offer_id or ""
    offer = await session.get(OfferRow, offer_id, with_for_update=True)
    if offer is not None:
        offer.state, offer.answered_at = "declined", now
    await release_slot(uow, case=case, agent=agent, now=now)
    exclude(case, agent_id)
    await uow.publish(
        OfferDeclined(
            **agent_fields(case, agent),
            offer_id=offer_id,
            declined_at=now,
            reason=sealed.plain,
            sealed=sealed.sealed,
        )
    )
    await enter_queue(uow, case=case, reason=QueueReason.OFFER_DECLINED, now=now)
    return case


async def expire_offer(timer: Timer, uow: RoutingUnitOfWork) -> None:
    """An unanswered offer: the case goes back to the queue, the agent is set away."""
    session = uow.session
    found = await session.get(OfferRow, timer.key)
    if found is None or found.state != "pending":
        return
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
    await release_slot(uow, case=case, agent=agent, now=now)
    exclude(case, agent.id)
    await uow.publish(
        OfferExpired(
            **agent_fields(case, agent),
            offer_id=offer.offer_id,
            offered_at=offer.offered_at,
            expired_at=now,
        )
    )
    await enter_queue(uow, case=case, reason=QueueReason.OFFER_EXPIRED, now=now)
    previous = agent.presence
    agent.presence = Presence.AWAY.value
    if previous != agent.presence:
        await uow.publish(
            agent_status(agent, previous=previous, at=now, reason="let an offer expire", by=SYSTEM)
        )
