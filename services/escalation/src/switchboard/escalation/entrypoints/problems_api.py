"""Problems across regions for coordinators: those touching their regions, with every
touched region's notes; acknowledge one for a region of theirs; add a note that the other
touched regions' coordinators see."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from switchboard.escalation.adapters import problems as store
from switchboard.escalation.adapters.problems import ProblemNoteRow, ProblemRow
from switchboard.escalation.entrypoints.dependencies import UnitOfWorkDep
from switchboard.escalation.entrypoints.escalations_api import IDENTIFIER
from switchboard.escalation.service_layer import problems
from switchboard.escalation.service_layer.escalations import InvalidTransition, NotAllowed
from switchboard.escalation.service_layer.problems import ProblemNotFound
from switchboard.servicekit.auth import Principal, Role
from switchboard.servicekit.db.types import utcnow
from switchboard.servicekit.http import require_storable
from switchboard.servicekit.http.problems import Problem
from switchboard.servicekit.service.dependencies import PrincipalDep, SessionDep

router = APIRouter(prefix="/v1/problems", tags=["problems"])

ProblemId = Annotated[str, Path(min_length=1, max_length=64, pattern=IDENTIFIER)]


class NoteView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    note_id: str
    region: str
    author: str
    note: str
    added_at: datetime


class ProblemView(BaseModel):
    problem_id: str
    terms: list[str]
    regions: list[str]
    counts: dict[str, int]
    examples: list[dict[str, Any]]
    acknowledgements: dict[str, dict[str, str]]
    first_seen: datetime
    detected_at: datetime
    notes: list[NoteView]

    @classmethod
    def of(cls, row: ProblemRow, notes: list[ProblemNoteRow]) -> ProblemView:
        return cls(
            problem_id=row.problem_id,
            terms=row.terms,
            regions=row.regions,
            counts=row.counts,
            # Who wrote an example is not the reader's business: its text and where only.
            examples=[
                {key: example[key] for key in ("language", "region", "text")}
                for example in row.examples
            ],
            acknowledgements=row.acknowledgements,
            first_seen=row.first_seen,
            detected_at=row.detected_at,
            notes=[NoteView.model_validate(n) for n in notes if n.problem_id == row.problem_id],
        )


class AcknowledgeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region: str = Field(min_length=1, max_length=32)


class AddNoteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(require_storable)]


def _reader(principal: Principal) -> Principal:
    if principal.role not in (Role.ADMIN, Role.COORDINATOR):
        raise Problem(403, "only coordinators and admins read problems")
    return principal


@router.get("", response_model=list[ProblemView])
async def list_problems(
    principal: PrincipalDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ProblemView]:
    """Problems touching the caller's regions (an admin's: all), newest first, with notes."""
    reader = _reader(principal)
    touching = None if reader.role is Role.ADMIN else reader.regions
    rows = await store.recent_problems(session, limit=limit, touching=touching)
    notes = await store.notes_of(session, [row.problem_id for row in rows]) if rows else []
    return [ProblemView.of(row, notes) for row in rows]


def _refused(error: Exception, problem_id: str) -> Problem:
    if isinstance(error, ProblemNotFound):
        return Problem(404, f"no problem {problem_id!r} in your regions")
    if isinstance(error, NotAllowed):
        return Problem(403, str(error))
    return Problem(409, str(error), title="Conflict")


@router.post("/{problem_id}/acknowledge", response_model=ProblemView)
async def acknowledge_problem(
    problem_id: ProblemId, body: AcknowledgeBody, principal: PrincipalDep, uow: UnitOfWorkDep
) -> ProblemView:
    """Take the problem for one of the caller's touched regions."""
    try:
        row = await problems.acknowledge(
            uow=uow, problem_id=problem_id, region=body.region, principal=principal, at=utcnow()
        )
    except (ProblemNotFound, NotAllowed, InvalidTransition) as error:
        raise _refused(error, problem_id) from error
    return ProblemView.of(row, await store.notes_of(uow.session, [problem_id]))


@router.post("/{problem_id}/notes", response_model=NoteView, status_code=201)
async def add_problem_note(
    problem_id: ProblemId, body: AddNoteBody, principal: PrincipalDep, uow: UnitOfWorkDep
) -> NoteView:
    """Share how to answer customers about it with every touched region's coordinators."""
    try:
        note = await problems.add_note(
            uow=uow, problem_id=problem_id, note=body.note, principal=principal, at=utcnow()
        )
    except (ProblemNotFound, NotAllowed, InvalidTransition) as error:
        raise _refused(error, problem_id) from error
    return NoteView.model_validate(note)
