"""One transaction of a use case, as every handler and route receives it.

A unit of work carries the transaction's session, the service's own dependencies and what
a use case does besides reading and writing rows: publish events (staged in the outbox of
this transaction; the CloudEvents source is the topic's one writer), and run code once the
transaction has committed or rolled back. Consumers, timer pollers and HTTP routes all hand
their handlers one of these, so a use case reads the same wherever it is called from.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope
from switchboard.servicekit import timers
from switchboard.servicekit.db.hooks import call_after_commit, call_after_rollback
from switchboard.servicekit.outbox.writer import add_events

D = TypeVar("D")


def source_of(event: Event) -> str:
    """The CloudEvents source of an event: the one service that writes its topic."""
    return f"/switchboard/{event.topic.writer}"


@dataclass
class UnitOfWork(Generic[D]):
    session: AsyncSession
    deps: D
    """The service's own collaborators (its configuration, policies, clients...)."""

    async def publish(self, *events: Event) -> list[Envelope[Event]]:
        """Stage the events, in this order, in the outbox of this transaction (one
        statement); they reach Kafka only if it commits. Returns their envelopes."""
        envelopes = [Envelope(data=event, source=source_of(event)) for event in events]
        await add_events(self.session, envelopes)
        return envelopes

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the outermost transaction has committed (registered twice,
        it runs once); a rollback drops it."""
        call_after_commit(self.session, callback)

    def after_rollback(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` if the outermost transaction ends without committing."""
        call_after_rollback(self.session, callback)

    async def schedule(
        self, kind: str, key: str, due_at: datetime, payload: dict[str, Any] | None = None
    ) -> None:
        """Set (or move) the durable timer ``kind``/``key`` in this transaction."""
        await timers.schedule(self.session, kind=kind, key=key, due_at=due_at, payload=payload)

    async def schedule_many(
        self, kind: str, due: Sequence[tuple[str, datetime, dict[str, Any] | None]]
    ) -> None:
        """Set several timers of one kind, (key, due_at, payload) each, with one statement."""
        await timers.schedule_many(self.session, kind=kind, due=due)

    async def cancel(self, kind: str, *keys: str) -> int:
        """Drop the timers ``kind``/``key`` of these keys; how many there were."""
        return await timers.cancel_many(self.session, kind=kind, keys=keys)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A nested transaction: what fails inside it (rows and outbox rows alike) is
        rolled back alone."""
        async with self.session.begin_nested():
            yield


class UnitsOfWork(Generic[D]):
    """Opens units of work on a service's database, each with the service's dependencies."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], deps: D) -> None:
        self.sessions = sessions
        self.deps = deps

    def of(self, session: AsyncSession) -> UnitOfWork[D]:
        """A unit of work for a transaction the caller opened already."""
        return UnitOfWork(session, self.deps)

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[UnitOfWork[D]]:
        """A new transaction: committed when the block ends, rolled back if it raises."""
        async with self.sessions() as session, session.begin():
            yield UnitOfWork(session, self.deps)


def without_dependencies(sessions: async_sessionmaker[AsyncSession]) -> UnitsOfWork[Any]:
    """Units of work for code that needs only the session (servicekit's own tests)."""
    return UnitsOfWork(sessions, None)
