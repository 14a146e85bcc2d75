"""Cases at risk: the waiting cases of the caller's regions that routing's pace says will
breach their first response (predicted once per clock, gone when the case is offered or
answered), for the console's "At risk" list."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from switchboard.escalation.adapters import repository
from switchboard.escalation.adapters.at_risk_reading import cases_at_risk
from switchboard.escalation.adapters.orm import CaseRow, ClockRow
from switchboard.escalation.domain.calendar import BusinessCalendar
from switchboard.escalation.domain.sla import BREACH_FRACTION, ClockState
from switchboard.escalation.entrypoints.dependencies import UnitOfWorkDep
from switchboard.servicekit.auth import Role
from switchboard.servicekit.service.dependencies import PrincipalDep

router = APIRouter(prefix="/v1/at-risk", tags=["escalations"])


class AtRiskView(BaseModel):
    case_id: str
    clock_id: str
    metric: str
    region: str
    channel: str
    priority: int
    due_at: datetime | None
    """The first response's deadline as the clock counts it now (business time)."""
    breached: bool
    predicted_at: datetime
    queue_position: int | None
    served_per_minute: float | None
    expected_offer_at: datetime | None
    """None: the pool serves nobody at present."""
    estimated_at: datetime | None


@router.get("", response_model=list[AtRiskView])
async def list_cases_at_risk(
    principal: PrincipalDep,
    uow: UnitOfWorkDep,
    region: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z][a-z0-9-]*$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AtRiskView]:
    """Cases of the caller's regions predicted to breach and not yet offered or answered,
    those predicted first first."""
    regions: set[str] | None = None if principal.role is Role.ADMIN else set(principal.regions)
    if region:
        regions = {region} if regions is None or region in regions else set()
    found = await cases_at_risk(uow.session, regions=regions, limit=limit)
    loaded = await uow.deps.config.current(uow.session)
    return [view(clock, case, loaded.book.calendar_for(case.region)) for clock, case in found]


def view(clock_row: ClockRow, case: CaseRow, calendar: BusinessCalendar) -> AtRiskView:
    clock = repository.clock_from_row(clock_row)
    assert clock_row.at_risk_at is not None
    return AtRiskView(
        case_id=case.case_id,
        clock_id=clock_row.clock_id,
        metric=clock_row.metric,
        region=case.region,
        channel=case.channel,
        priority=case.priority,
        due_at=clock.due_at(BREACH_FRACTION, calendar=calendar),
        breached=clock.state is ClockState.BREACHED,
        predicted_at=clock_row.at_risk_at,
        queue_position=case.queue_position,
        served_per_minute=case.served_per_minute,
        expected_offer_at=case.expected_offer_at,
        estimated_at=case.wait_estimated_at,
    )
