"""Coordinators' API: list, acknowledge, reassign and resolve escalations of their regions,
raise one by hand, read a case's SLA clocks, follow escalations live (Server-Sent Events)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import select

from switchboard.contracts.events.common import Actor, ActorKind
from switchboard.escalation.adapters.orm import CaseRow, ClockRow, EscalationRow
from switchboard.escalation.domain.escalation import TriggerKind
from switchboard.escalation.domain.regions import can_raise, can_see
from switchboard.escalation.entrypoints.auth import PrincipalDep
from switchboard.escalation.entrypoints.dependencies import ConfigDep, ServiceDep, SessionDep
from switchboard.escalation.service_layer import escalations
from switchboard.escalation.service_layer.escalations import (
    EscalationNotFound,
    InvalidTransition,
    NotAllowed,
    RaiseRequest,
)
from switchboard.servicekit.auth import Principal, Role
from switchboard.servicekit.db.types import utcnow
from switchboard.servicekit.http import require_storable
from switchboard.servicekit.http.problems import Problem

router = APIRouter(prefix="/v1", tags=["escalations"])

IDENTIFIER = r"^[^\s\x00-\x1f\x7f]+$"
"""No spaces and no control characters: PostgreSQL cannot even store NUL."""
EscalationId = Annotated[str, Path(min_length=1, max_length=64, pattern=IDENTIFIER)]
CaseId = Annotated[str, Path(min_length=1, max_length=128, pattern=IDENTIFIER)]


Note = Annotated[str, Field(max_length=2000), AfterValidator(require_storable)]


class View(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class EscalationView(View):
    escalation_id: str
    case_id: str
    region: str
    trigger: str
    policy: str
    status: str
    level: int
    cycle: int
    priority: int
    reason: str | None
    raised_by: str
    raised_at: datetime
    acknowledge_by: datetime | None
    assignee: str | None
    acknowledged_by: str | None
    resolved_by: str | None

    @classmethod
    def of(cls, row: EscalationRow) -> EscalationView:
        return cls.model_validate({**_columns(row), "level": row.level_index + 1})


class ClockView(View):
    clock_id: str
    metric: str
    policy: str
    state: str
    target_seconds: float
    accumulated_seconds: float
    running_since: datetime | None
    fired: list[float]
    completed_at: datetime | None


class NoteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Note | None = None


class ReassignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: Annotated[str, Field(min_length=1, max_length=128)]


class ManualEscalationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(require_storable)]
    policy: Annotated[str | None, Field(max_length=64)] = None


def _columns(row: object) -> dict[str, object]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}  # type: ignore[attr-defined]


def _problem_for(error: Exception) -> Problem:
    if isinstance(error, EscalationNotFound):
        return Problem(404, f"no escalation {error.args[0]!r} in your regions")
    if isinstance(error, NotAllowed):
        return Problem(403, str(error))
    return Problem(409, str(error), title="Conflict")


@router.get("/escalations", response_model=list[EscalationView])
async def list_escalations(
    principal: PrincipalDep,
    session: SessionDep,
    status: Annotated[str | None, Query(pattern="^(open|acknowledged|resolved)$")] = None,
    region: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z][a-z0-9-]*$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[EscalationView]:
    """Escalations of the caller's regions, newest first."""
    query = select(EscalationRow).order_by(EscalationRow.raised_at.desc()).limit(limit)
    if principal.role is not Role.ADMIN:
        query = query.where(EscalationRow.region.in_(sorted(principal.regions)))
    if status:
        query = query.where(EscalationRow.status == status)
    if region:
        query = query.where(EscalationRow.region == region)
    return [EscalationView.of(row) for row in (await session.execute(query)).scalars()]


@router.get(
    "/escalations/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
async def stream_escalations(
    principal: PrincipalDep, service: ServiceDep, request: Request
) -> StreamingResponse:
    """Server-Sent Events: every escalation event of the caller's regions, as it happens."""
    heartbeat = service.settings.sse_heartbeat_seconds

    async def events() -> AsyncIterator[str]:
        with service.live_feed.subscribe(principal) as subscription:
            yield "retry: 3000\n: connected\n\n"
            while not await request.is_disconnected():
                try:
                    event = await asyncio.wait_for(subscription.queue.get(), heartbeat)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield event.as_sse()

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )


@router.get("/escalations/{escalation_id}", response_model=EscalationView)
async def get_escalation(
    escalation_id: EscalationId, principal: PrincipalDep, session: SessionDep
) -> EscalationView:
    row = await session.get(EscalationRow, escalation_id)
    if row is None or not can_see(principal, row.region):
        raise _problem_for(EscalationNotFound(escalation_id))
    return EscalationView.of(row)


async def _act(session: SessionDep, action: Awaitable[EscalationRow]) -> EscalationView:
    try:
        async with session.begin():
            view = EscalationView.of(await action)
    except (EscalationNotFound, NotAllowed, InvalidTransition) as error:
        raise _problem_for(error) from error
    return view


@router.post("/escalations/{escalation_id}/acknowledge", response_model=EscalationView)
async def acknowledge_escalation(
    escalation_id: EscalationId,
    body: NoteBody,
    principal: PrincipalDep,
    session: SessionDep,
    loaded: ConfigDep,
) -> EscalationView:
    """Take the escalation: it stops moving up."""
    return await _act(
        session,
        escalations.acknowledge(
            session=session,
            loaded=loaded,
            escalation_id=escalation_id,
            principal=principal,
            note=body.note,
            at=utcnow(),
        ),
    )


@router.post("/escalations/{escalation_id}/reassign", response_model=EscalationView)
async def reassign_escalation(
    escalation_id: EscalationId,
    body: ReassignBody,
    principal: PrincipalDep,
    session: SessionDep,
    loaded: ConfigDep,
) -> EscalationView:
    """Hand it to another coordinator of the same region, who must acknowledge in time."""
    return await _act(
        session,
        escalations.reassign(
            session=session,
            loaded=loaded,
            escalation_id=escalation_id,
            principal=principal,
            to=body.to,
            at=utcnow(),
        ),
    )


@router.post("/escalations/{escalation_id}/resolve", response_model=EscalationView)
async def resolve_escalation(
    escalation_id: EscalationId,
    body: NoteBody,
    principal: PrincipalDep,
    session: SessionDep,
    loaded: ConfigDep,
) -> EscalationView:
    return await _act(
        session,
        escalations.resolve(
            session=session,
            loaded=loaded,
            escalation_id=escalation_id,
            principal=principal,
            note=body.note,
            at=utcnow(),
        ),
    )


@router.post("/cases/{case_id}/escalations", response_model=EscalationView, status_code=201)
async def escalate_case(
    case_id: CaseId,
    body: ManualEscalationBody,
    principal: PrincipalDep,
    session: SessionDep,
    loaded: ConfigDep,
) -> EscalationView:
    """An agent's (or coordinator's) manual escalation of a case of their region."""
    async with session.begin():
        case = await session.get(CaseRow, case_id)
        if case is None or not can_raise(principal, case.region):
            raise Problem(404, f"no case {case_id!r} in your regions")
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
            session=session, loaded=loaded, request=request, at=utcnow()
        )
        if row is None:
            raise Problem(409, "the case already has an active escalation, or no policy applies")
        return EscalationView.of(row)


@router.get("/cases/{case_id}/sla", response_model=list[ClockView])
async def case_clocks(
    case_id: CaseId, principal: PrincipalDep, session: SessionDep
) -> list[ClockView]:
    case = await session.get(CaseRow, case_id)
    if case is None or not can_see(principal, case.region):
        raise Problem(404, f"no case {case_id!r} in your regions")
    query = select(ClockRow).where(ClockRow.case_id == case_id).order_by(ClockRow.started_at)
    return [ClockView.model_validate(row) for row in (await session.execute(query)).scalars()]


def _actor(principal: Principal) -> Actor:
    kind = ActorKind.AGENT if principal.role is Role.AGENT else ActorKind.COORDINATOR
    return Actor(kind=kind, id=principal.subject)
