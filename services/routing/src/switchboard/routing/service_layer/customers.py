"""Intake merged two customer records: the merged customer's last agent becomes the
survivor's, unless the survivor's own is more recent, and its cases are the survivor's."""

from __future__ import annotations

from sqlalchemy import select

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import CustomerMerged
from switchboard.routing.adapters.last_agents import remember_last_agent
from switchboard.routing.adapters.orm import CaseRow, LastAgentRow
from switchboard.routing.service_layer.unit_of_work import RoutingUnitOfWork


async def merge_customers(message: Envelope[CustomerMerged], uow: RoutingUnitOfWork) -> None:
    merged = message.data
    session = uow.session
    old = await session.get(LastAgentRow, merged.merged_id, with_for_update=True)
    if old is not None:
        survivor = await session.get(LastAgentRow, merged.survivor_id, with_for_update=True)
        if survivor is None or survivor.resolved_at < old.resolved_at:
            await remember_last_agent(
                session,
                customer_id=merged.survivor_id,
                agent_id=old.agent_id,
                resolved_at=old.resolved_at,
            )
        await session.delete(old)
    if merged.case_ids:  # through the rows, so each change is stamped as usual
        cases = await session.scalars(
            select(CaseRow)
            .where(CaseRow.case_id.in_(merged.case_ids))
            .order_by(CaseRow.case_id)
            .with_for_update()
        )
        for case in cases:
            case.customer_id = merged.survivor_id
