"""A pooled connection that died while idle is replaced before use, not handed out."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection

from switchboard.servicekit.db import create_engine
from switchboard.servicekit.db import engine as engine_module

pytestmark = pytest.mark.integration


async def test_a_connection_killed_while_idle_is_replaced_transparently(database_url, monkeypatch):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL")
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            victim = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with create_engine(database_url).connect() as other:
            await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": victim})
            await other.commit()
        monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.0)
        async with engine.connect() as conn:
            fresh = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert fresh != victim
    finally:
        await engine.dispose()


async def test_a_connection_just_returned_is_reused_without_a_ping(database_url, monkeypatch):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL")
    pings: list[object] = []
    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "ping", lambda self: pings.append(self))
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            first = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with engine.connect() as conn:
            again = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert again == first
        assert pings == [], "neither a new connection nor one just returned is pinged"
    finally:
        await engine.dispose()
