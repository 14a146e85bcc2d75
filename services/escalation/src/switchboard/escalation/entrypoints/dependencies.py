"""Typed dependencies at the HTTP edge."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.escalation.adapters.config_store import LoadedConfig
from switchboard.escalation.bootstrap import EscalationService


def get_service(request: Request) -> EscalationService:
    return request.app.state.escalation  # type: ignore[no-any-return]


ServiceDep = Annotated[EscalationService, Depends(get_service)]


async def get_session(service: ServiceDep) -> AsyncIterator[AsyncSession]:
    async with service.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_loaded_config(service: ServiceDep) -> LoadedConfig:
    async with service.sessions() as session:
        return await service.config.current(session)


ConfigDep = Annotated[LoadedConfig, Depends(get_loaded_config)]
