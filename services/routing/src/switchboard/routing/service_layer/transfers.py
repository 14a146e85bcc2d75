"""A transfer: the agent holding a case sends it to a named agent, a queue, or another region
or department (see ``domain.transfers`` for where it goes and when a named agent refuses)."""

from __future__ import annotations

from datetime import datetime

from switchboard.contracts.events import CaseTransferred
from switchboard.contracts.events.assignments import QueueReason
from switchboard.contracts.events.common import Channel
from switchboard.routing.adapters import repository
from switchboard.routing.adapters.contract_events import agent_actor
from switchboard.routing.adapters.orm import CaseRow
from switchboard.routing.adapters.records import agent_from_row, item_from_row
from switchboard.routing.domain.model import ItemState
from switchboard.routing.domain.transfers import (
    Target,
    ToAgent,
    ToPlace,
    ToQueue,
    UnknownQueue,
    destination,
)
from switchboard.routing.service_layer.personal_fields import sealed_case_text
from switchboard.routing.service_layer.queueing import enter_queue, exclude, release_slot
from switchboard.routing.service_layer.unit_of_work import RoutingUnitOfWork


async def transfer_case(
    *,
    uow: RoutingUnitOfWork,
    case_id: str,
    agent_id: str,
    note: str | None,
    now: datetime,
    to_agent: str | None = None,
    to_queue: str | None = None,
    region: str | None = None,
    department: str | None = None,
) -> CaseRow:
    """Send an assigned case to a named agent, a queue, or another region or department; it
    waits again, keeping its age, and never comes back to the sender. The note goes out
    sealed under the customer's key."""
    sealed = await sealed_case_text(uow, case_id=case_id, field="reason", text=note)
    case, agent = await repository.held_case_and_agent(
        uow.session, case_id=case_id, agent_id=agent_id, state=ItemState.ASSIGNED, lock_agent=True
    )
    target = await _target(uow, to_agent, to_queue, ToPlace(region, department))
    deps = uow.deps
    to = destination(
        target,
        item=item_from_row(case),
        sender=agent_id,
        by_department=deps.pool_by_department,
        wait_for_agent=deps.preferred_agent_for,
        now=now,
    )
    from_pool, from_region, from_department = case.pool, case.region, case.department
    await release_slot(uow, case=case, agent=agent, now=now)
    case.excluded_agents = [each for each in case.excluded_agents if each != to.preferred_agent]
    exclude(case, agent_id)
    case.region, case.department, case.pool = to.region, to.department, to.pool
    case.policy = deps.policies.current.for_case(item_from_row(case)).name
    case.step, case.step_started_at = 0, now
    case.preferred_agent, case.preferred_until = to.preferred_agent, to.preferred_until
    case.transfers += 1
    await uow.publish(
        CaseTransferred(
            case_id=case.case_id,
            region=case.region,
            channel=Channel(case.channel),
            from_agent_id=agent_id,
            from_queue_id=from_pool,
            to_agent_id=to.preferred_agent,
            to_queue_id=case.pool,
            # Where it went, as decided (a named agent's region too), else as asked.
            to_department=case.department if case.department != from_department else department,
            to_region=case.region if case.region != from_region else region,
            by=agent_actor(agent_id),
            reason=sealed.plain,
            sealed=sealed.sealed,
            enqueued_at=case.enqueued_at,
            transferred_at=now,
        )
    )
    await enter_queue(uow, case=case, reason=QueueReason.TRANSFER, now=now)
    return case


async def _target(
    uow: RoutingUnitOfWork, to_agent: str | None, to_queue: str | None, place: ToPlace
) -> Target:
    if to_agent is not None:
        return ToAgent(agent_from_row(await repository.agent(uow.session, to_agent, lock=False)))
    if to_queue is not None:
        regions = await repository.regions_serving(uow.session, to_queue)
        if not regions:
            raise UnknownQueue(to_queue)
        return ToQueue(to_queue, region=regions.pop() if len(regions) == 1 else None)
    return place
