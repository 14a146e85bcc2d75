from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from switchboard.servicekit.faults import connection_lost
from switchboard.servicekit.telemetry import trace_statements

CONNECT_TIMEOUT_SECONDS = 5.0
"""A server that does not answer is reported unreachable after this (asyncpg's default is a
minute, far longer than any client waits for a 503)."""
POOL_TIMEOUT_SECONDS = 10.0


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """An async engine; SQLite files get WAL, a busy timeout and foreign keys; each
    statement is a span while tracing is on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = _create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        trace_statements(engine)
        return engine
    engine = _create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        connect_args={"timeout": CONNECT_TIMEOUT_SECONDS},
    )
    event.listen(engine.sync_engine, "handle_error", _invalidate_lost_connections)
    event.listen(engine.sync_engine.pool, "connect", _note_checkin)  # new: alive
    event.listen(engine.sync_engine.pool, "checkin", _note_checkin)
    event.listen(engine.sync_engine.pool, "checkout", _ping_if_idle)
    trace_statements(engine)
    return engine


PING_AFTER_IDLE_SECONDS = 5.0
"""A pooled connection idle longer than this is pinged before use (one that was just
returned is not: asyncpg's ping costs three round trips, most of a small transaction)."""


def _invalidate_lost_connections(context: Any) -> None:
    """A connection the server dropped (a restart, a crash) is thrown away with every
    other pooled connection of that time, so the next checkout connects afresh; the driver
    does not always say so itself (asyncpg's "connection is closed")."""
    if not context.is_disconnect and connection_lost(context.original_exception):
        context.is_disconnect = True


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Pessimistic disconnect handling, for connections that sat idle: a dead one is
    replaced by the pool (DisconnectionError makes it retry with a fresh connection)."""
    checked_in_at = record.info.get("checked_in_at")
    if checked_in_at is not None and time.monotonic() - checked_in_at < PING_AFTER_IDLE_SECONDS:
        return
    try:
        dbapi_connection.ping()
    except Exception as error:
        raise DisconnectionError(f"pooled connection failed its ping: {error}") from error


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def dialect_of(session: AsyncSession) -> str:
    """``postgresql`` or ``sqlite``: the few statements that differ ask this."""
    return session.get_bind().dialect.name
