"""What feedback's routes depend on, typed for feedback; servicekit's ``SessionDep`` (reads)
and ``PrincipalDep`` (the caller) serve as they are."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.feedback.service_layer.unit_of_work import FeedbackDeps, FeedbackUnitOfWork
from switchboard.feedback.settings import FeedbackSettings
from switchboard.servicekit.service import Service
from switchboard.servicekit.service.dependencies import begin_unit_of_work, get_service

FeedbackService = Service[FeedbackSettings, FeedbackDeps]
FeedbackServiceDep = Annotated[FeedbackService, Depends(get_service)]
FeedbackUnitOfWorkDep = Annotated[FeedbackUnitOfWork, Depends(begin_unit_of_work, scope="function")]


async def read_connection(service: FeedbackServiceDep) -> AsyncIterator[AsyncConnection]:
    """A connection without a transaction: a KPI read is one statement, so no BEGIN and
    COMMIT round trips around it."""
    async with service.engine.connect() as connection:
        yield await connection.execution_options(isolation_level="AUTOCOMMIT")


ReadConnectionDep = Annotated[AsyncConnection, Depends(read_connection)]
