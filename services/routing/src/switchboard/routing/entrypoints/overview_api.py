"""The coordinator console's view of routing: the agent directory, the queues per pool and
their staffing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from switchboard.routing.adapters import overview_reading
from switchboard.routing.domain.model import Presence
from switchboard.routing.entrypoints.access import overview_regions
from switchboard.routing.entrypoints.dependencies import PrincipalDep, RoutingDepsDep, SessionDep
from switchboard.routing.entrypoints.schemas import (
    AgentView,
    QueueView,
    StaffingView,
    agent_view,
    staffing_view,
)
from switchboard.routing.service_layer.staffing import staffing_now
from switchboard.servicekit.db import utcnow

router = APIRouter(prefix="/v1", tags=["overview"])

RegionFilter = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=32,
        pattern=r"^[a-z][a-z0-9-]*$",
        description="one region; coordinators only one of their token's",
    ),
]


@router.get("/agents", response_model=list[AgentView])
async def list_agents(
    who: PrincipalDep,
    session: SessionDep,
    region: RegionFilter = None,
    presence: Presence | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> list[AgentView]:
    """Agents by id: every region for admins, the token's regions for coordinators."""
    regions = overview_regions(who, region)
    rows = await overview_reading.list_agents(
        session, regions=regions, presence=presence, limit=limit
    )
    return [agent_view(row) for row in rows]


@router.get("/queues", response_model=list[QueueView])
async def list_queues(
    who: PrincipalDep, session: SessionDep, region: RegionFilter = None
) -> list[QueueView]:
    """Per region and pool with unresolved cases: how many wait for an agent, are offered
    and not yet accepted, or are assigned; and since when the oldest waits."""
    counts = await overview_reading.queue_counts(session, regions=overview_regions(who, region))
    return [QueueView.model_validate(entry, from_attributes=True) for entry in counts]


@router.get("/staffing", response_model=list[StaffingView])
async def list_staffing(
    who: PrincipalDep, session: SessionDep, deps: RoutingDepsDep, region: RegionFilter = None
) -> list[StaffingView]:
    """Per pool with cases opened in the last interval (or announced short before): the
    agents its service-level target needs against those available, as the staffing
    advisor reckons them now; nothing is announced."""
    assessed = await staffing_now(
        session=session,
        plan=deps.staffing,
        now=utcnow(),
        regions=overview_regions(who, region),
    )
    return [staffing_view(each) for each in assessed]
