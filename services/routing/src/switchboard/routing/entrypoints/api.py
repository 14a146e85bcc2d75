"""The routing HTTP API: agent directory, presence, offers and work, policies."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Query, Request
from sqlalchemy import select

from switchboard.routing import commands
from switchboard.routing.adapters import queue_reading
from switchboard.routing.adapters.orm import AgentRow, CaseRow, PolicyDocumentRow
from switchboard.routing.adapters.records import stamp
from switchboard.routing.bootstrap import RoutingService, bootstrap
from switchboard.routing.domain.errors import RoutingError, UnknownAgent, UnknownCase
from switchboard.routing.domain.model import ItemState
from switchboard.routing.domain.policy import PolicyError, policy_set_from_data
from switchboard.routing.entrypoints import overview_api
from switchboard.routing.entrypoints.auth import (
    PrincipalDep,
    acting_agent,
    may_read,
    require_admin,
    require_reader,
)
from switchboard.routing.entrypoints.dependencies import SessionDep
from switchboard.routing.entrypoints.schemas import (
    IDENTIFIER,
    AgentProfile,
    AgentView,
    CaseView,
    Decline,
    PolicyDocument,
    PresenceChange,
    Reply,
    Resolve,
    Transfer,
    agent_view,
)
from switchboard.routing.settings import RoutingSettings
from switchboard.servicekit.auth import Principal
from switchboard.servicekit.db import utcnow
from switchboard.servicekit.http import Problem
from switchboard.servicekit.http import create_app as create_service_app
from switchboard.servicekit.process import prepare_process

router = APIRouter(prefix="/v1", tags=["routing"])


AgentId = Annotated[str, Path(min_length=1, max_length=128, pattern=IDENTIFIER)]
CaseId = Annotated[str, Path(min_length=1, max_length=128, pattern=IDENTIFIER)]
ActingAgent = Annotated[
    str | None, Query(min_length=1, max_length=128, pattern=IDENTIFIER, description="admins only")
]


@contextmanager
def domain_errors() -> Iterator[None]:
    try:
        yield
    except (UnknownCase, UnknownAgent) as error:
        raise Problem(404, str(error)) from error
    except RoutingError as error:
        raise Problem(409, str(error)) from error


def context_of(request: Request) -> Any:
    return request.app.state.routing.context


@router.put("/agents/{agent_id}", response_model=AgentView)
async def save_agent(
    agent_id: AgentId, profile: AgentProfile, who: PrincipalDep, session: SessionDep
) -> AgentView:
    require_admin(who)
    agent = await commands.save_agent(
        session, agent_id=agent_id, profile=profile.model_dump(mode="json"), now=utcnow()
    )
    return agent_view(agent)


@router.get("/agents/{agent_id}", response_model=AgentView)
async def read_agent(agent_id: AgentId, who: PrincipalDep, session: SessionDep) -> AgentView:
    agent = await session.get(AgentRow, agent_id)
    require_reader(who, owner=agent_id, region=agent.region if agent else None)
    if agent is None:
        raise Problem(404, f"unknown agent {agent_id!r}")
    return agent_view(agent)


@router.put("/agents/{agent_id}/presence", response_model=AgentView)
async def change_presence(
    agent_id: AgentId,
    change: PresenceChange,
    who: PrincipalDep,
    session: SessionDep,
    request: Request,
) -> AgentView:
    acting_agent(who, agent_id)
    with domain_errors():
        agent = await commands.set_presence(
            session,
            agent_id=agent_id,
            presence=change.presence,
            context=context_of(request),
            now=utcnow(),
        )
    return agent_view(agent)


@router.get("/agents/{agent_id}/work", response_model=list[CaseView])
async def agent_work(agent_id: AgentId, who: PrincipalDep, session: SessionDep) -> list[CaseView]:
    if not may_read(who, owner=agent_id):
        agent = await session.get(AgentRow, agent_id)
        require_reader(who, owner=agent_id, region=agent.region if agent else None)
    held = [ItemState.OFFERED.value, ItemState.ASSIGNED.value, ItemState.WRAP_UP.value]
    rows = await session.scalars(
        select(CaseRow)
        .where(CaseRow.agent_id == agent_id, CaseRow.state.in_(held))
        .order_by(CaseRow.case_id)
    )
    return [case_view(row) for row in rows.all()]


def case_view(row: CaseRow, *, position: int | None = None, wait: float | None = None) -> CaseView:
    return CaseView(
        case_id=row.case_id,
        state=row.state,
        pool=row.pool,
        channel=row.channel,
        priority=row.priority,
        policy=row.policy,
        step=row.step,
        agent_id=row.agent_id,
        enqueued_at=row.enqueued_at,
        queue_position=position,
        estimated_wait_seconds=wait,
        explanation=row.explanation,
    )


@router.get("/cases/{case_id}", response_model=CaseView)
async def read_case(
    case_id: CaseId, who: PrincipalDep, session: SessionDep, request: Request
) -> CaseView:
    row = await session.get(CaseRow, case_id)
    if row is None:
        raise Problem(404, f"unknown case {case_id!r}")
    require_reader(who, owner=row.agent_id, region=row.region)
    router = request.app.state.routing.router
    if router.ownership.owns(row.pool):
        position, wait = (
            router.engine.queue_position(case_id),
            router.engine.estimated_wait(case_id),
        )
    else:
        position = await queue_reading.queue_position(session, row)
        wait = await queue_reading.estimated_wait(session, row, position, now=utcnow())
    return case_view(
        row, position=position, wait=wait.total_seconds() if wait is not None else None
    )


def _agent_of(who: Principal, agent_id: str | None) -> str:
    acting = agent_id or who.subject
    acting_agent(who, acting)
    return acting


@router.post("/cases/{case_id}/accept", response_model=CaseView)
async def accept(
    case_id: CaseId,
    who: PrincipalDep,
    session: SessionDep,
    request: Request,
    agent_id: ActingAgent = None,
) -> CaseView:
    with domain_errors():
        row = await commands.accept_offer(
            session,
            case_id=case_id,
            agent_id=_agent_of(who, agent_id),
            context=context_of(request),
            now=utcnow(),
        )
    return case_view(row)


@router.post("/cases/{case_id}/decline", response_model=CaseView)
async def decline(
    case_id: CaseId,
    body: Decline,
    who: PrincipalDep,
    session: SessionDep,
    request: Request,
    agent_id: ActingAgent = None,
) -> CaseView:
    with domain_errors():
        row = await commands.decline_offer(
            session,
            case_id=case_id,
            agent_id=_agent_of(who, agent_id),
            reason=body.reason,
            context=context_of(request),
            now=utcnow(),
        )
    return case_view(row)


@router.post("/cases/{case_id}/replies", response_model=CaseView)
async def reply(
    case_id: CaseId,
    body: Reply,
    who: PrincipalDep,
    session: SessionDep,
    agent_id: ActingAgent = None,
) -> CaseView:
    with domain_errors():
        row = await commands.record_reply(
            session,
            case_id=case_id,
            agent_id=_agent_of(who, agent_id),
            message_id=body.message_id,
            now=utcnow(),
        )
    return case_view(row)


@router.post("/cases/{case_id}/transfer", response_model=CaseView)
async def transfer(
    case_id: CaseId,
    body: Transfer,
    who: PrincipalDep,
    session: SessionDep,
    request: Request,
    agent_id: ActingAgent = None,
) -> CaseView:
    if body.region is None and body.department is None:
        raise Problem(422, "a transfer needs a region or a department")
    with domain_errors():
        row = await commands.transfer_case(
            session,
            case_id=case_id,
            agent_id=_agent_of(who, agent_id),
            region=body.region,
            department=body.department,
            note=body.note,
            context=context_of(request),
            now=utcnow(),
        )
    return case_view(row)


@router.post("/cases/{case_id}/resolve", response_model=CaseView)
async def resolve(
    case_id: CaseId,
    body: Resolve,
    who: PrincipalDep,
    session: SessionDep,
    agent_id: ActingAgent = None,
) -> CaseView:
    with domain_errors():
        row = await commands.resolve_case(
            session,
            case_id=case_id,
            agent_id=_agent_of(who, agent_id),
            resolution_code=body.resolution_code,
            note=body.note,
            now=utcnow(),
        )
    return case_view(row)


@router.post("/cases/{case_id}/wrap-up/finish", response_model=CaseView)
async def finish_wrap_up(
    case_id: CaseId,
    who: PrincipalDep,
    session: SessionDep,
    request: Request,
    agent_id: ActingAgent = None,
) -> CaseView:
    with domain_errors():
        row = await commands.finish_wrap_up(
            session,
            case_id=case_id,
            agent_id=_agent_of(who, agent_id),
            context=context_of(request),
            now=utcnow(),
        )
    return case_view(row)


@router.get("/policies", response_model=PolicyDocument)
async def read_policies(who: PrincipalDep, session: SessionDep) -> PolicyDocument:
    require_admin(who)
    row = await session.get(PolicyDocumentRow, 1)
    return PolicyDocument(policies=row.document.get("policies", []) if row else [])


@router.put("/policies", response_model=PolicyDocument)
async def replace_policies(
    document: PolicyDocument, who: PrincipalDep, session: SessionDep, request: Request
) -> PolicyDocument:
    """Validate and store the policy document; every replica picks it up on its next sync."""
    require_admin(who)
    raw = document.model_dump(mode="json")
    try:
        policies = policy_set_from_data(raw)
    except PolicyError as error:
        raise Problem(
            422, str(error), title="Invalid policy", where=error.where, column=error.column
        ) from error
    row = await session.get(PolicyDocumentRow, 1, with_for_update=True)
    if row is None:
        row = PolicyDocumentRow(id=1, document=raw, revision=0, updated_at=utcnow())
        session.add(row)
    row.document, row.updated_at = raw, utcnow()
    stamp(session, row)
    context_of(request).policies = policies
    return PolicyDocument(policies=raw["policies"])


def create_app(service: RoutingService) -> FastAPI:
    """The routing app around a bootstrapped service; the runtime starts with the app."""
    app = create_service_app(
        title="Switchboard routing",
        version="0.1.0",
        runtime=service.runtime,
        routers=[router, overview_api.router],
        max_body_bytes=service.settings.max_body_bytes,
        cors_origins=service.settings.cors_origins,
    )
    app.state.routing = service
    return app


def app_from_environment() -> FastAPI:
    """For ``uvicorn --factory``: settings from the environment; the CLI has migrated."""
    settings = RoutingSettings.load()
    prepare_process(settings)
    return create_app(bootstrap(settings, run_migrations=False))
