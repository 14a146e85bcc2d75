"""Cases: where one stands, and an agent's answers and work on it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter

from switchboard.routing.adapters import queue_reading
from switchboard.routing.adapters.orm import CaseRow
from switchboard.routing.entrypoints.access import agent_acting, require_reader
from switchboard.routing.entrypoints.dependencies import (
    ActingAgent,
    CaseId,
    PrincipalDep,
    RoutingDepsDep,
    RoutingUnitOfWorkDep,
    SessionDep,
)
from switchboard.routing.entrypoints.problems import domain_errors
from switchboard.routing.entrypoints.schemas import (
    CaseView,
    Decline,
    Reply,
    Resolve,
    Transfer,
    case_view,
)
from switchboard.routing.service_layer import transfers, work
from switchboard.routing.service_layer.offers import answers
from switchboard.routing.service_layer.unit_of_work import RoutingUnitOfWork
from switchboard.servicekit.auth import Principal
from switchboard.servicekit.db import utcnow
from switchboard.servicekit.http import Problem

router = APIRouter(prefix="/v1", tags=["cases"])


@router.get("/cases/{case_id}", response_model=CaseView)
async def read_case(
    case_id: CaseId, who: PrincipalDep, session: SessionDep, deps: RoutingDepsDep
) -> CaseView:
    """The case; while it waits, its place in the queue and the estimated wait, from this
    replica's index when it routes the case's pool, from the rows otherwise."""
    row = await session.get(CaseRow, case_id)
    if row is None:
        raise Problem(404, f"unknown case {case_id!r}")
    require_reader(who, owner=row.agent_id, region=row.region)
    offers = deps.offers
    if offers.owns(row.pool):
        position, wait = offers.queue_position(case_id), offers.estimated_wait(case_id)
    else:
        position = await queue_reading.queue_position(session, row)
        wait = await queue_reading.estimated_wait(session, row, position, now=utcnow())
    return case_view(
        row, position=position, wait=wait.total_seconds() if wait is not None else None
    )


async def _act(
    use_case: Callable[..., Awaitable[CaseRow]],
    *,
    uow: RoutingUnitOfWork,
    who: Principal,
    case_id: str,
    agent_id: str | None,
    **details: Any,
) -> CaseView:
    """An agent's action on a case, for themselves or, by an admin, for ``agent_id``."""
    with domain_errors():
        row = await use_case(
            uow=uow, case_id=case_id, agent_id=agent_acting(who, agent_id), now=utcnow(), **details
        )
    return case_view(row)


@router.post("/cases/{case_id}/accept", response_model=CaseView)
async def accept(
    case_id: CaseId, who: PrincipalDep, uow: RoutingUnitOfWorkDep, agent_id: ActingAgent = None
) -> CaseView:
    return await _act(answers.accept_offer, uow=uow, who=who, case_id=case_id, agent_id=agent_id)


@router.post("/cases/{case_id}/decline", response_model=CaseView)
async def decline(
    case_id: CaseId,
    body: Decline,
    who: PrincipalDep,
    uow: RoutingUnitOfWorkDep,
    agent_id: ActingAgent = None,
) -> CaseView:
    return await _act(
        answers.decline_offer,
        uow=uow,
        who=who,
        case_id=case_id,
        agent_id=agent_id,
        reason=body.reason,
    )


@router.post("/cases/{case_id}/replies", response_model=CaseView)
async def reply(
    case_id: CaseId,
    body: Reply,
    who: PrincipalDep,
    uow: RoutingUnitOfWorkDep,
    agent_id: ActingAgent = None,
) -> CaseView:
    return await _act(
        work.record_reply,
        uow=uow,
        who=who,
        case_id=case_id,
        agent_id=agent_id,
        message_id=body.message_id,
    )


@router.post("/cases/{case_id}/transfer", response_model=CaseView)
async def transfer(
    case_id: CaseId,
    body: Transfer,
    who: PrincipalDep,
    uow: RoutingUnitOfWorkDep,
    agent_id: ActingAgent = None,
) -> CaseView:
    """To a named agent (404 unknown, 409 offline or not on the case's channel; busy or at
    capacity, the case waits for them first), to a queue some agent serves, or to a region
    and/or department. The case waits again, keeping its age."""
    return await _act(
        transfers.transfer_case,
        uow=uow,
        who=who,
        case_id=case_id,
        agent_id=agent_id,
        to_agent=body.agent,
        to_queue=body.queue,
        region=body.region,
        department=body.department,
        note=body.note,
    )


@router.post("/cases/{case_id}/resolve", response_model=CaseView)
async def resolve(
    case_id: CaseId,
    body: Resolve,
    who: PrincipalDep,
    uow: RoutingUnitOfWorkDep,
    agent_id: ActingAgent = None,
) -> CaseView:
    return await _act(
        work.resolve_case,
        uow=uow,
        who=who,
        case_id=case_id,
        agent_id=agent_id,
        resolution_code=body.resolution_code,
        note=body.note,
    )


@router.post("/cases/{case_id}/wrap-up/finish", response_model=CaseView)
async def finish_wrap_up(
    case_id: CaseId, who: PrincipalDep, uow: RoutingUnitOfWorkDep, agent_id: ActingAgent = None
) -> CaseView:
    return await _act(work.finish_wrap_up, uow=uow, who=who, case_id=case_id, agent_id=agent_id)
