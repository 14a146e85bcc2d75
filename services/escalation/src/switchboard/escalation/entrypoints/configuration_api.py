"""Admins: the active configuration (policies, calendars, coordinators), read and replaced
as a whole."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from switchboard.escalation.domain.configuration import EscalationConfig
from switchboard.escalation.entrypoints.dependencies import ConfigStoreDep, UnitOfWorkDep
from switchboard.servicekit.service.dependencies import AdminDep, SessionDep

router = APIRouter(prefix="/v1/admin/config", tags=["admin"])


@router.get("")
async def read_config(_: AdminDep, store: ConfigStoreDep, session: SessionDep) -> dict[str, Any]:
    loaded = await store.current(session)
    return {"version": loaded.version, "config": loaded.config.model_dump(mode="json")}


@router.put("")
async def replace_config(
    config: EscalationConfig, admin: AdminDep, uow: UnitOfWorkDep
) -> dict[str, Any]:
    """Replace policies, calendars and coordinators at once (validated as a whole)."""
    version = await uow.deps.config.replace(uow.session, config=config, by=f"admin:{admin.subject}")
    return {"version": version}
