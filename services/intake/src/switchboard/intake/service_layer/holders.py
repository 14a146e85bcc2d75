"""Routing assigned or transferred a case: intake keeps who holds it now, which decides who
may read its conversation. Events of one case come in order (keyed by case); one older than
the last change is history and changes nothing."""

from __future__ import annotations

from datetime import datetime

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import CaseAssigned, CaseTransferred
from switchboard.intake.adapters.orm import CaseHolderRow
from switchboard.intake.service_layer.unit_of_work import IntakeUnitOfWork


async def record_assignment(message: Envelope[CaseAssigned], uow: IntakeUnitOfWork) -> None:
    assigned = message.data
    await _hold(uow, assigned.case_id, assigned.agent_id, assigned.assigned_at)


async def record_transfer(message: Envelope[CaseTransferred], uow: IntakeUnitOfWork) -> None:
    """To an agent: theirs at once; to a queue, department or region: nobody's until the
    next agent accepts it."""
    moved = message.data
    await _hold(uow, moved.case_id, moved.to_agent_id, moved.transferred_at)


async def _hold(uow: IntakeUnitOfWork, case_id: str, agent_id: str | None, at: datetime) -> None:
    holder = await uow.session.get(CaseHolderRow, case_id, with_for_update=True)
    if holder is None:
        uow.session.add(CaseHolderRow(case_id=case_id, agent_id=agent_id, since=at))
    elif at >= holder.since:
        holder.agent_id, holder.since = agent_id, at
