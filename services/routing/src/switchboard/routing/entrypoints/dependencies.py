"""Typed dependencies shared by the routing API's routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession


async def transaction(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.routing.sessions() as session, session.begin():
        yield session


SessionDep = Annotated[AsyncSession, Depends(transaction, scope="function")]
"""Committed when the endpoint returns, before the answer is sent (``scope="function"``;
the default would commit after sending): a client that got its answer finds the change."""
