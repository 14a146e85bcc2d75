"""Coordinators' escalations: list, read, acknowledge, reassign and resolve those of their
regions, and follow them live (Server-Sent Events)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import select

from switchboard.escalation.adapters.live_feed import Cursor, follow
from switchboard.escalation.adapters.orm import EscalationRow
from switchboard.escalation.entrypoints.dependencies import (
    LiveFeedDep,
    SettingsDep,
    UnitOfWorkDep,
)
from switchboard.escalation.service_layer import escalations
from switchboard.escalation.service_layer.escalations import (
    EscalationNotFound,
    InvalidTransition,
    NotAllowed,
)
from switchboard.escalation.service_layer.unit_of_work import EscalationUnitOfWork
from switchboard.servicekit.auth import Role
from switchboard.servicekit.db.types import utcnow
from switchboard.servicekit.http import require_storable
from switchboard.servicekit.http.problems import Problem
from switchboard.servicekit.service.dependencies import PrincipalDep, SessionDep

router = APIRouter(prefix="/v1/escalations", tags=["escalations"])

IDENTIFIER = r"^[^\s\x00-\x1f\x7f]+$"
"""No spaces and no control characters: PostgreSQL cannot even store NUL."""
EscalationId = Annotated[str, Path(min_length=1, max_length=64, pattern=IDENTIFIER)]
Note = Annotated[str, Field(max_length=2000), AfterValidator(require_storable)]
FEED_READY_SECONDS = 10.0
"""How long a stream waits for a starting replica's live feed to reach the topic's end."""


class EscalationView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

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
        columns = {c.key: getattr(row, c.key) for c in EscalationRow.__table__.columns}
        return cls.model_validate({**columns, "level": row.level_index + 1})


class NoteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Note | None = None


class ReassignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: Annotated[str, Field(min_length=1, max_length=128)]


def _problem_for(error: Exception) -> Problem:
    if isinstance(error, EscalationNotFound):
        return Problem(404, f"no escalation {error.args[0]!r} in your regions")
    if isinstance(error, NotAllowed):
        return Problem(403, str(error))
    return Problem(409, str(error), title="Conflict")


async def _act(
    uow: EscalationUnitOfWork, action: Callable[..., Awaitable[EscalationRow]], **arguments: Any
) -> EscalationView:
    """The escalation after the action (now, with the current configuration); the action's
    refusal as a problem, which rolls the unit of work back."""
    loaded = await uow.deps.config.current(uow.session)
    try:
        row = await action(uow=uow, loaded=loaded, at=utcnow(), **arguments)
    except (EscalationNotFound, NotAllowed, InvalidTransition) as error:
        raise _problem_for(error) from error
    return EscalationView.of(row)


@router.get("", response_model=list[EscalationView])
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
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
async def stream_escalations(
    principal: PrincipalDep,
    feed: LiveFeedDep,
    settings: SettingsDep,
    request: Request,
    last_event_id: Annotated[str | None, Header(max_length=16384)] = None,
) -> StreamingResponse:
    """Server-Sent Events: every escalation event of the caller's regions, as it happens.
    Each event's id is its position on the topic, the same on every replica: reconnecting
    (to any replica) with it as ``Last-Event-ID`` first replays every event after it."""
    frames = follow(
        feed,
        principal,
        resume_from=Cursor.parse(last_event_id),
        heartbeat=settings.sse_heartbeat_seconds,
        ready_seconds=FEED_READY_SECONDS,
    )

    async def events() -> AsyncIterator[str]:
        async with contextlib.aclosing(frames):
            async for frame in frames:
                yield frame
                if await request.is_disconnected():
                    return

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )


@router.get("/{escalation_id}", response_model=EscalationView)
async def get_escalation(
    escalation_id: EscalationId, principal: PrincipalDep, session: SessionDep
) -> EscalationView:
    row = await session.get(EscalationRow, escalation_id)
    if row is None or not principal.covers(row.region):
        raise _problem_for(EscalationNotFound(escalation_id))
    return EscalationView.of(row)


@router.post("/{escalation_id}/acknowledge", response_model=EscalationView)
async def acknowledge_escalation(
    escalation_id: EscalationId, body: NoteBody, principal: PrincipalDep, uow: UnitOfWorkDep
) -> EscalationView:
    """Take the escalation: it stops moving up."""
    return await _act(
        uow,
        escalations.acknowledge,
        escalation_id=escalation_id,
        principal=principal,
        note=body.note,
    )


@router.post("/{escalation_id}/reassign", response_model=EscalationView)
async def reassign_escalation(
    escalation_id: EscalationId, body: ReassignBody, principal: PrincipalDep, uow: UnitOfWorkDep
) -> EscalationView:
    """Hand it to another coordinator of the same region, who must acknowledge in time."""
    return await _act(
        uow, escalations.reassign, escalation_id=escalation_id, principal=principal, to=body.to
    )


@router.post("/{escalation_id}/resolve", response_model=EscalationView)
async def resolve_escalation(
    escalation_id: EscalationId, body: NoteBody, principal: PrincipalDep, uow: UnitOfWorkDep
) -> EscalationView:
    return await _act(
        uow, escalations.resolve, escalation_id=escalation_id, principal=principal, note=body.note
    )
