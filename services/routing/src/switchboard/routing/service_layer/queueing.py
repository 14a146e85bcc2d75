"""Putting a case (back) in its queue, and giving back the slot a case held: what every
transition that returns a case to the queue does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from switchboard.contracts.events import CaseQueued
from switchboard.contracts.events.assignments import QueueReason
from switchboard.routing.adapters.contract_events import case_queued, load_changed
from switchboard.routing.adapters.orm import AgentRow, CaseRow
from switchboard.routing.adapters.records import add_load
from switchboard.routing.domain.model import ItemState
from switchboard.routing.domain.policy import next_review_at
from switchboard.routing.service_layer.timer_kinds import OFFER_TIMER, REVIEW_TIMER
from switchboard.routing.service_layer.unit_of_work import RoutingUnitOfWork


async def enter_queue(
    uow: RoutingUnitOfWork, *, case: CaseRow, reason: QueueReason, now: datetime
) -> None:
    """Mark ``case`` waiting, publish CaseQueued and set its step-review timer."""
    await uow.publish(*mark_waiting([case], reason=reason, now=now))
    await schedule_reviews(uow, cases=[case])


def mark_waiting(
    cases: Sequence[CaseRow], *, reason: QueueReason, now: datetime
) -> list[CaseQueued]:
    """Put the cases in the waiting state; the CaseQueued events that say so."""
    for case in cases:
        case.state = ItemState.WAITING.value
        case.agent_id = None
        case.offer_id = None
    return [case_queued(case, reason=reason, at=now) for case in cases]


async def schedule_reviews(
    uow: RoutingUnitOfWork, *, cases: Sequence[CaseRow], new: bool = False
) -> None:
    """Set each case's next step-review timer, or drop it when its steps are done (``new``
    cases have none to drop)."""
    policies = uow.deps.policies.current
    due: list[tuple[str, datetime, dict[str, Any] | None]] = []
    done: list[str] = []
    for case in cases:
        at = next_review_at(
            policies.by_name(case.policy),
            step=case.step,
            step_started_at=case.step_started_at,
            preferred_until=case.preferred_until if case.preferred_agent else None,
        )
        if at is None:
            done.append(case.case_id)
        else:
            due.append((case.case_id, at, None))
    await uow.schedule_many(REVIEW_TIMER, due)
    if not new:
        await uow.cancel(REVIEW_TIMER, *done)


async def release_slot(
    uow: RoutingUnitOfWork, *, case: CaseRow, agent: AgentRow, now: datetime
) -> None:
    """Give back the slot ``case`` held on ``agent``, announce the agent's new load and drop
    a pending offer timer."""
    add_load(agent, case.channel, -1)
    agent.idle_since = now
    await uow.publish(load_changed(agent, at=now))
    await cancel_offer_timer(uow, case)


async def cancel_offer_timer(uow: RoutingUnitOfWork, case: CaseRow) -> None:
    if case.offer_id:
        await uow.cancel(OFFER_TIMER, case.offer_id)


def exclude(case: CaseRow, agent_id: str) -> None:
    """The agent refused the case or gave it away: never offer it to them again — and if it
    was waiting for them (the customer's last agent, a transfer by name), it waits no more."""
    if agent_id not in case.excluded_agents:
        case.excluded_agents = [*case.excluded_agents, agent_id]
    if case.preferred_agent == agent_id:
        case.preferred_agent, case.preferred_until = None, None
