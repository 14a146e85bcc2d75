"""What routes depend on, the same in every service: the service, a session or a unit of
work, and the caller (servicekit's bearer JWT) with the role checks every service needs.

All are ``async def``: FastAPI runs a plain ``def`` dependency in a worker thread.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.servicekit.auth import Principal, Role, TokenVerifier, bearer_principal
from switchboard.servicekit.http.documented import answers
from switchboard.servicekit.http.problems import Problem
from switchboard.servicekit.service.assembly import Service
from switchboard.servicekit.unit_of_work import UnitOfWork


async def get_service(request: Request) -> Service[Any, Any]:
    service: Service[Any, Any] = request.app.state.service
    return service


ServiceDep = Annotated[Service[Any, Any], Depends(get_service)]


@answers(503)
async def read_session(service: ServiceDep) -> AsyncIterator[AsyncSession]:
    """A session for reads (each statement its own transaction)."""
    async with service.sessions() as session:
        yield session


@answers(503)
async def begin_unit_of_work(service: ServiceDep) -> AsyncIterator[UnitOfWork[Any]]:
    """A unit of work whose transaction commits when the route returns, before the
    response is sent: a client's 2xx always means committed."""
    async with service.transaction() as uow:
        yield uow


SessionDep = Annotated[AsyncSession, Depends(read_session)]
UnitOfWorkDep = Annotated[UnitOfWork[Any], Depends(begin_unit_of_work, scope="function")]


def _tokens(request: Request) -> TokenVerifier:
    verifier: TokenVerifier = request.app.state.service.tokens
    return verifier


current_principal = bearer_principal(_tokens)
PrincipalDep = Annotated[Principal, Depends(current_principal)]


@answers(403)
async def require_admin(principal: PrincipalDep) -> Principal:
    if principal.role is not Role.ADMIN:
        raise Problem(403, "this needs the admin role")
    return principal


@answers(403)
async def require_staff(principal: PrincipalDep) -> Principal:
    """Coordinators and admins: the people who oversee regions."""
    if principal.role not in (Role.ADMIN, Role.COORDINATOR):
        raise Problem(403, "this needs the coordinator or admin role")
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]
StaffDep = Annotated[Principal, Depends(require_staff)]


def require_region(principal: Principal, region: str) -> None:
    """403 unless the caller is an admin or the token covers ``region``."""
    if not principal.covers(region):
        raise Problem(403, f"your token does not cover region {region!r}")
