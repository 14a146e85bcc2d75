"""Agents: their profile (admins), presence and the work they hold (the agents themselves)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from switchboard.routing.adapters.orm import AgentRow, CaseRow, OfferRow
from switchboard.routing.domain.model import ItemState
from switchboard.routing.entrypoints.access import acting_agent, may_read, require_reader
from switchboard.routing.entrypoints.dependencies import (
    AgentId,
    PrincipalDep,
    RoutingUnitOfWorkDep,
    SessionDep,
)
from switchboard.routing.entrypoints.problems import domain_errors
from switchboard.routing.entrypoints.schemas import (
    AgentProfile,
    AgentView,
    CaseView,
    PresenceChange,
    agent_view,
    case_view,
)
from switchboard.routing.service_layer import agents
from switchboard.servicekit.db import utcnow
from switchboard.servicekit.http import Problem
from switchboard.servicekit.service.dependencies import require_admin

router = APIRouter(prefix="/v1", tags=["agents"])

HELD = (ItemState.OFFERED.value, ItemState.ASSIGNED.value, ItemState.WRAP_UP.value)


@router.put("/agents/{agent_id}", response_model=AgentView)
async def save_agent(
    agent_id: AgentId, profile: AgentProfile, who: PrincipalDep, uow: RoutingUnitOfWorkDep
) -> AgentView:
    await require_admin(who)  # once the request is valid: a bad profile is a 422 for anyone
    agent = await agents.save_agent(
        uow=uow, agent_id=agent_id, profile=profile.model_dump(mode="json"), now=utcnow()
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
    agent_id: AgentId, change: PresenceChange, who: PrincipalDep, uow: RoutingUnitOfWorkDep
) -> AgentView:
    acting_agent(who, agent_id)
    with domain_errors():
        agent = await agents.set_presence(
            uow=uow, agent_id=agent_id, presence=change.presence, now=utcnow()
        )
    return agent_view(agent)


@router.get("/agents/{agent_id}/work", response_model=list[CaseView])
async def agent_work(agent_id: AgentId, who: PrincipalDep, session: SessionDep) -> list[CaseView]:
    if not may_read(who, owner=agent_id):
        agent = await session.get(AgentRow, agent_id)
        require_reader(who, owner=agent_id, region=agent.region if agent else None)
    rows = await session.execute(
        select(CaseRow, OfferRow.expires_at)
        .outerjoin(OfferRow, OfferRow.offer_id == CaseRow.offer_id)
        .where(CaseRow.agent_id == agent_id, CaseRow.state.in_(HELD))
        .order_by(CaseRow.case_id)
    )
    offered = ItemState.OFFERED.value
    return [
        case_view(row, offer_expires_at=expires_at if row.state == offered else None)
        for row, expires_at in rows.all()
    ]
