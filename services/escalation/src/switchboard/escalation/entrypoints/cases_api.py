"""A case's side of escalation: raise one by hand, read the case's SLA clocks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import select

from switchboard.contracts.events.common import Actor, ActorKind
from switchboard.escalation.adapters.orm import CaseRow, ClockRow
from switchboard.escalation.domain.escalation import TriggerKind
from switchboard.escalation.entrypoints.dependencies import UnitOfWorkDep
from switchboard.escalation.entrypoints.escalations_api import IDENTIFIER, EscalationView
from switchboard.escalation.service_layer import escalations
from switchboard.escalation.service_layer.escalations import RaiseRequest
from switchboard.servicekit.auth import Principal, Role
from switchboard.servicekit.db.types import utcnow
from switchboard.servicekit.http import require_storable
from switchboard.servicekit.http.problems import Problem
from switchboard.servicekit.service.dependencies import PrincipalDep, SessionDep

router = APIRouter(prefix="/v1/cases", tags=["escalations"])

CaseId = Annotated[str, Path(min_length=1, max_length=128, pattern=IDENTIFIER)]


class ClockView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    clock_id: str
    metric: str
    policy: str
    state: str
    target_seconds: float
    accumulated_seconds: float
    running_since: datetime | None
    fired: list[float]
    completed_at: datetime | None


class ManualEscalationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(require_storable)]
    policy: Annotated[str | None, Field(max_length=64)] = None


def _not_in_your_regions(case_id: str) -> Problem:
    return Problem(404, f"no case {case_id!r} in your regions")


@router.post("/{case_id}/escalations", response_model=EscalationView, status_code=201)
async def escalate_case(
    case_id: CaseId, body: ManualEscalationBody, principal: PrincipalDep, uow: UnitOfWorkDep
) -> EscalationView:
    """An agent's (or coordinator's) manual escalation of a case of their region."""
    case = await uow.session.get(CaseRow, case_id)
    if case is None or not principal.covers(case.region):
        raise _not_in_your_regions(case_id)
    request = RaiseRequest(
        case_id=case.case_id,
        region=case.region,
        priority=case.priority,
        trigger=TriggerKind.MANUAL,
        raised_by=_actor(principal),
        customer_id=case.customer_id,
        vip=case.vip,
        reason=body.reason,
        preferred_policy=body.policy,
    )
    row = await escalations.raise_escalation(
        uow=uow, loaded=await uow.deps.config.current(uow.session), request=request, at=utcnow()
    )
    if row is None:
        raise Problem(409, "the case already has an active escalation, or no policy applies")
    return EscalationView.of(row)


@router.get("/{case_id}/sla", response_model=list[ClockView])
async def case_clocks(
    case_id: CaseId, principal: PrincipalDep, session: SessionDep
) -> list[ClockView]:
    case = await session.get(CaseRow, case_id)
    if case is None or not principal.covers(case.region):
        raise _not_in_your_regions(case_id)
    query = select(ClockRow).where(ClockRow.case_id == case_id).order_by(ClockRow.started_at)
    return [ClockView.model_validate(row) for row in (await session.execute(query)).scalars()]


def _actor(principal: Principal) -> Actor:
    kind = ActorKind.AGENT if principal.role is Role.AGENT else ActorKind.COORDINATOR
    return Actor(kind=kind, id=principal.subject)
