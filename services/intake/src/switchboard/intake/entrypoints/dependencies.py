"""What intake's routes depend on, typed: the service with intake's dependencies, and a unit
of work committed before the response is sent. Sessions for reads, the caller and the role
checks are servicekit's."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from switchboard.intake.service_layer.unit_of_work import IntakeDeps, IntakeUnitOfWork
from switchboard.intake.settings import IntakeSettings
from switchboard.servicekit.service import Service
from switchboard.servicekit.service.dependencies import (
    AdminDep,
    SessionDep,
    begin_unit_of_work,
    get_service,
)

IntakeServiceDep = Annotated[Service[IntakeSettings, IntakeDeps], Depends(get_service)]
UnitOfWorkDep = Annotated[IntakeUnitOfWork, Depends(begin_unit_of_work, scope="function")]

__all__ = ["AdminDep", "IntakeServiceDep", "SessionDep", "UnitOfWorkDep"]
