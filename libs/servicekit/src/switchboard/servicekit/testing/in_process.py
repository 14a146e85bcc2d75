"""A service's event and timer handlers run in-process, without a broker: service-layer
tests on SQLite in milliseconds.

Events go through the same handler table the consumer uses (inbox first, one transaction
per delivery), timers through the same poller, and what the service published is read
back from its outbox, decoded as a subscriber would read it from Kafka.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import delete, select

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope, decode
from switchboard.servicekit.consumer import HandlerTable
from switchboard.servicekit.db.types import utcnow
from switchboard.servicekit.migrations import migrate
from switchboard.servicekit.service.assembly import Service, assemble
from switchboard.servicekit.service.definition import D, S, ServiceDefinition
from switchboard.servicekit.tables import outbox
from switchboard.servicekit.timers import TimerPoller
from switchboard.servicekit.unit_of_work import source_of

E = TypeVar("E", bound=Event)


class InProcessService(Generic[S, D]):
    def __init__(self, service: Service[S, D]) -> None:
        self.service = service
        definition = service.definition
        self.history: list[Event] = []
        """Every event the service published, in the order it was staged."""
        self.table = HandlerTable(
            group_id=service.settings.consumer_group,
            registry=definition.registry,
            handlers=definition.handlers,
            batch_handlers=definition.batch_handlers,
        )

    @classmethod
    async def start(
        cls,
        definition: ServiceDefinition[S, D],
        directory: Path,
        *,
        deps: D | None = None,
        **settings: Any,
    ) -> InProcessService[S, D]:
        """The service on a fresh SQLite file in ``directory``, migrated; ``settings``
        override the defaults."""
        loaded = definition.settings.load(
            database_url=f"sqlite+aiosqlite:///{directory / f'{definition.name}.db'}",
            **settings,
        )
        schema = definition.migrations
        await migrate(
            loaded.database_url, versions_dir=schema.versions_dir, metadata=schema.metadata
        )
        return cls(assemble(definition, loaded, deps=deps))

    async def close(self) -> None:
        await self.service.runtime.stop()  # never started: closes the clients and the engine

    @property
    def deps(self) -> D:
        return self.service.deps

    async def deliver(self, *events: Event | Envelope[Event]) -> list[Envelope[Event]]:
        """Hand the events to their handlers, all in one transaction as one fetch would be
        (a redelivered envelope is skipped by the inbox); their envelopes."""
        envelopes = [_enveloped(event) for event in events]
        async with self.service.transaction() as uow:
            await self.table.apply(uow, envelopes)
        return envelopes

    async def fire_timers(self, *, now: datetime | None = None) -> int:
        """Fire the timers due at ``now`` (default: the real now), as the poller would."""
        moment = now or utcnow()
        definition = self.service.definition
        poller = TimerPoller(
            units=self.service.units,
            handlers=definition.timers,
            batch_handlers=definition.timer_batch_handlers,
            batch_size=10_000,
            clock=lambda: moment,
        )
        return await poller.fire_due()

    async def published(
        self, kind: type[E] | None = None, *, where: Callable[[E], bool] = lambda _: True
    ) -> list[E]:
        """Every event published so far (of ``kind``, if given), in the order staged: taken
        out of the outbox as the relay takes them, and decoded as a subscriber would."""
        registry = self.service.definition.registry
        async with self.service.transaction() as uow:
            rows = (await uow.session.execute(select(outbox).order_by(outbox.c.id))).all()
            await uow.session.execute(delete(outbox))
        self.history += [
            decode(registry, row.payload, [(k, v.encode()) for k, v in row.headers]).data
            for row in rows
        ]
        wanted = kind or Event
        return [e for e in self.history if isinstance(e, wanted) and where(e)]  # type: ignore[arg-type,misc]


def _enveloped(event: Event | Envelope[Event]) -> Envelope[Event]:
    return event if isinstance(event, Envelope) else Envelope(data=event, source=source_of(event))
