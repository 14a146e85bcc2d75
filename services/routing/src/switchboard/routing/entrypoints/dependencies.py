"""What routing's routes depend on: servicekit's session, unit of work and caller, with
routing's own types."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query

from switchboard.routing.entrypoints.schemas import IDENTIFIER
from switchboard.routing.service_layer.unit_of_work import RoutingDeps, RoutingUnitOfWork
from switchboard.routing.settings import RoutingSettings
from switchboard.servicekit.service.dependencies import (
    PrincipalDep,
    ServiceDep,
    SessionDep,
    begin_unit_of_work,
)

__all__ = [
    "ActingAgent",
    "AgentId",
    "CaseId",
    "PrincipalDep",
    "RoutingDepsDep",
    "RoutingUnitOfWorkDep",
    "SessionDep",
    "SettingsDep",
]

RoutingUnitOfWorkDep = Annotated[RoutingUnitOfWork, Depends(begin_unit_of_work, scope="function")]
"""Committed when the route returns, before the answer is sent: a client that got its
answer finds the change."""


async def routing_deps(service: ServiceDep) -> RoutingDeps:
    deps: RoutingDeps = service.deps
    return deps


RoutingDepsDep = Annotated[RoutingDeps, Depends(routing_deps)]


async def routing_settings(service: ServiceDep) -> RoutingSettings:
    settings: RoutingSettings = service.settings
    return settings


SettingsDep = Annotated[RoutingSettings, Depends(routing_settings)]

AgentId = Annotated[str, Path(min_length=1, max_length=128, pattern=IDENTIFIER)]
CaseId = Annotated[str, Path(min_length=1, max_length=128, pattern=IDENTIFIER)]
ActingAgent = Annotated[
    str | None, Query(min_length=1, max_length=128, pattern=IDENTIFIER, description="admins only")
]
