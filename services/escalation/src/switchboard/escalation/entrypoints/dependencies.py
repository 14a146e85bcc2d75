"""What escalation's routes depend on besides servicekit's session, unit of work and caller:
the service's own collaborators and settings, typed."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from switchboard.escalation.adapters.config_store import ConfigStore
from switchboard.escalation.adapters.live_feed import LiveFeed
from switchboard.escalation.service_layer.unit_of_work import EscalationDeps, EscalationUnitOfWork
from switchboard.escalation.settings import EscalationSettings
from switchboard.servicekit.service.dependencies import ServiceDep, begin_unit_of_work


async def config_store(service: ServiceDep) -> ConfigStore:
    deps: EscalationDeps = service.deps
    return deps.config


async def live_feed(service: ServiceDep) -> LiveFeed:
    deps: EscalationDeps = service.deps
    return deps.live_feed


async def escalation_settings(service: ServiceDep) -> EscalationSettings:
    settings: EscalationSettings = service.settings
    return settings


ConfigStoreDep = Annotated[ConfigStore, Depends(config_store)]
LiveFeedDep = Annotated[LiveFeed, Depends(live_feed)]
SettingsDep = Annotated[EscalationSettings, Depends(escalation_settings)]
UnitOfWorkDep = Annotated[EscalationUnitOfWork, Depends(begin_unit_of_work, scope="function")]
"""A transaction committed when the route returns, before the response is sent."""
