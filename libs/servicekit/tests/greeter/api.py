"""The greeter's HTTP side: how often someone came."""

from __future__ import annotations

from fastapi import APIRouter

from switchboard.servicekit.http import Problem
from switchboard.servicekit.service import HttpApi
from switchboard.servicekit.service.dependencies import PrincipalDep, SessionDep

from .orm import VisitRow

router = APIRouter(prefix="/visitors", tags=["visitors"])


@router.get("/{visitor}")
async def visits(visitor: str, session: SessionDep, _caller: PrincipalDep) -> dict[str, int]:
    row = await session.get(VisitRow, visitor)
    if row is None:
        raise Problem(404, f"{visitor!r} never came")
    return {"visits": row.visits}


HTTP_API: HttpApi[object] = HttpApi(
    title="Greeter", description="Greets visitors.", routers=(router,)
)
