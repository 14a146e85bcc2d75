"""An agent's work on a case they hold: replies, the resolution and wrap-up (a transfer is in
``transfers``)."""

from __future__ import annotations

from datetime import datetime

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import AgentReplied, CaseResolved, ReplyPosted
from switchboard.routing.adapters import repository
from switchboard.routing.adapters.contract_events import agent_fields
from switchboard.routing.adapters.last_agents import remember_last_agent
from switchboard.routing.adapters.orm import AgentRow, CaseRow
from switchboard.routing.domain.model import ItemState
from switchboard.routing.service_layer.personal_fields import sealed_case_text
from switchboard.routing.service_layer.queueing import release_slot
from switchboard.routing.service_layer.unit_of_work import RoutingUnitOfWork


async def record_reply(
    *, uow: RoutingUnitOfWork, case_id: str, agent_id: str, message_id: str, now: datetime
) -> CaseRow:
    """The agent replied; the first reply is flagged for the first-response SLA."""
    case, agent = await repository.held_case_and_agent(
        uow.session, case_id=case_id, agent_id=agent_id, state=ItemState.ASSIGNED, lock_agent=False
    )
    is_first = case.first_response_at is None
    if is_first:
        case.first_response_at = now
    await uow.publish(
        AgentReplied(
            **agent_fields(case, agent),
            message_id=message_id,
            replied_at=now,
            is_first_response=is_first,
        )
    )
    return case


async def record_posted_reply(message: Envelope[ReplyPosted], uow: RoutingUnitOfWork) -> None:
    """A reply posted through intake is a response like one recorded here: the first of
    the case (whichever path recorded it) is flagged once for the first-response SLA.
    Counted even if the case moved on meanwhile: the customer got it."""
    posted = message.data
    case = await uow.session.get(CaseRow, posted.case_id, with_for_update=True)
    agent = await uow.session.get(AgentRow, posted.agent_id)
    if case is None or agent is None:
        return
    is_first = case.first_response_at is None
    if is_first:
        case.first_response_at = posted.posted_at
    await uow.publish(
        AgentReplied(
            **agent_fields(case, agent),
            message_id=posted.reply_id,
            replied_at=posted.posted_at,
            is_first_response=is_first,
        )
    )


async def resolve_case(
    *,
    uow: RoutingUnitOfWork,
    case_id: str,
    agent_id: str,
    resolution_code: str,
    note: str | None,
    now: datetime,
) -> CaseRow:
    """Resolved: the agent wraps up before the slot frees; the customer prefers them next.
    The note goes out sealed under the customer's key."""
    sealed = await sealed_case_text(uow, case_id=case_id, field="note", text=note)
    case, agent = await repository.held_case_and_agent(
        uow.session, case_id=case_id, agent_id=agent_id, state=ItemState.ASSIGNED, lock_agent=False
    )
    case.state, case.resolved_at = ItemState.WRAP_UP.value, now
    await remember_last_agent(
        uow.session, customer_id=case.customer_id, agent_id=agent_id, resolved_at=now
    )
    await uow.publish(
        CaseResolved(
            **agent_fields(case, agent),
            customer_id=case.customer_id,
            language=case.language,
            opened_at=case.opened_at,
            resolved_at=now,
            resolution_code=resolution_code,
            first_contact_resolution=case.transfers == 0 and case.reopens == 0,
            handle_seconds=max(0.0, (now - (case.assigned_at or now)).total_seconds()),
            note=sealed.plain,
            sealed=sealed.sealed,
        )
    )
    return case


async def finish_wrap_up(
    *, uow: RoutingUnitOfWork, case_id: str, agent_id: str, now: datetime
) -> CaseRow:
    """Wrap-up done: the agent's slot is free for the next case."""
    case, agent = await repository.held_case_and_agent(
        uow.session, case_id=case_id, agent_id=agent_id, state=ItemState.WRAP_UP, lock_agent=True
    )
    await release_slot(uow, case=case, agent=agent, now=now)
    case.state = ItemState.DONE.value
    return case
