"""Telling the other replicas that cases wait in their pools (PostgreSQL LISTEN/NOTIFY).

A replica's consumer also gets cases of pools another replica owns: it queues them, and
the owner would find them on its next timed sync. Instead the queueing transaction sends a
notice naming those pools, which PostgreSQL delivers only if it commits; each replica
listens on one connection and wakes its offer loop when a notice names a pool it owns. The
timed sync stays the safety net (a notice sent while a replica reconnects is lost, and
SQLite, a single-replica database, has no notices).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from switchboard.servicekit.db.engine import dialect_of

log = logging.getLogger(__name__)
CHANNEL = "switchboard_routing_pools"
_NOTIFY = text("SELECT pg_notify(:channel, :pools)")


async def announce_waiting(session: AsyncSession, pools: Collection[str]) -> None:
    """In ``session``'s transaction: cases now wait in ``pools`` (sent if it commits)."""
    if pools and dialect_of(session) == "postgresql":
        await session.execute(_NOTIFY, {"channel": CHANNEL, "pools": ",".join(sorted(pools))})


class PoolNotices:
    """One listening connection; ``on_pools`` gets the pools of every notice."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._driver: Any = None

    @property
    def listening(self) -> bool:
        return self._driver is not None and not self._driver.is_closed()

    async def ensure_listening(self, on_pools: Callable[[set[str]], None]) -> None:
        """Listen if not yet, or again after the connection was lost (PostgreSQL only)."""
        if self._engine.dialect.name != "postgresql" or self.listening:
            return
        await self.close()
        try:
            connection = await self._engine.connect()
            raw = await connection.get_raw_connection()
            self._driver = raw.driver_connection
            await self._driver.add_listener(
                CHANNEL, lambda _conn, _pid, _channel, payload: on_pools(set(payload.split(",")))
            )
            self._connection = connection
        except Exception:
            log.warning("cannot listen for pool notices; the timed sync still runs", exc_info=True)
            self._driver = None

    async def close(self) -> None:
        connection, self._connection, self._driver = self._connection, None, None
        if connection is not None:
            try:
                await connection.invalidate()  # a listening connection goes back to no pool
                await connection.close()
            except Exception:
                log.debug("closing the notice connection failed", exc_info=True)
