"""Replica heartbeats in the database: who is alive to share out the pools."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.routing.adapters.orm import ReplicaRow
from switchboard.servicekit.db import utcnow

MISSED_BEATS = 3
"""A replica that missed this many heartbeats in a row is taken for gone."""


class Membership:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        replica: str,
        heartbeat_seconds: float,
    ) -> None:
        self.sessions = sessions
        self.replica = replica
        self.heartbeat_seconds = heartbeat_seconds

    async def beat(self) -> frozenset[str]:
        """Record this replica's heartbeat; the names of the live replicas (itself included)."""
        now = utcnow()
        alive_since = now - timedelta(seconds=self.heartbeat_seconds * MISSED_BEATS)
        async with self.sessions() as session, session.begin():
            row = await session.get(ReplicaRow, self.replica)
            if row is None:
                session.add(ReplicaRow(name=self.replica, started_at=now, heartbeat_at=now))
            else:
                row.heartbeat_at = now
            await session.flush()
            names = await session.scalars(
                select(ReplicaRow.name).where(ReplicaRow.heartbeat_at >= alive_since)
            )
            return frozenset(names)

    async def leave(self) -> None:
        """Stop counting this replica at once (the others take its pools on their next beat)."""
        async with self.sessions() as session, session.begin():
            await session.execute(delete(ReplicaRow).where(ReplicaRow.name == self.replica))
