"""What the routes depend on: settings, sessions, a read connection, the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from switchboard.feedback.settings import FeedbackSettings
from switchboard.servicekit.auth import Principal, TokenVerifier, bearer_principal


def get_settings(request: Request) -> FeedbackSettings:
    settings: FeedbackSettings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.runtime.sessions() as session:
        yield session


async def get_read_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    """A connection without a transaction: a KPI read is one statement, no BEGIN needed."""
    engine: AsyncEngine = request.app.state.runtime.engine
    async with engine.connect() as connection:
        yield await connection.execution_options(isolation_level="AUTOCOMMIT")


SettingsDep = Annotated[FeedbackSettings, Depends(get_settings)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
ReadDep = Annotated[AsyncConnection, Depends(get_read_connection)]


def _tokens(request: Request) -> TokenVerifier:
    return get_settings(request).token_verifier()


PrincipalDep = Annotated[Principal, Depends(bearer_principal(_tokens))]
