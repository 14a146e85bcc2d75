"""Building a service from its definition: what every service used to write by hand.

``assemble()`` makes the engine, the sessions, the idempotent producer, the service's own
dependencies, the outbox relay, one consumer runner for the events it handles, one timer
poller for its timers and its workers, all from settings; nothing starts until the
runtime does (the app's lifespan, ``worker``, or a test).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from switchboard.contracts.topics import dead_letter_topic
from switchboard.servicekit.auth import TokenVerifier
from switchboard.servicekit.consumer import ConsumerRunner
from switchboard.servicekit.db import create_engine, session_factory
from switchboard.servicekit.kafka import ensure_topics, make_producer
from switchboard.servicekit.migrations import migrate, require_current
from switchboard.servicekit.outbox import OutboxRelay
from switchboard.servicekit.runtime import Runtime
from switchboard.servicekit.service.definition import (
    D,
    Resources,
    S,
    ServiceDefinition,
    StartStep,
)
from switchboard.servicekit.timers import TimerPoller
from switchboard.servicekit.unit_of_work import UnitOfWork, UnitsOfWork


@dataclass(frozen=True)
class Service(Generic[S, D]):
    """One assembled service: what its HTTP edge, CLI and tests work with."""

    definition: ServiceDefinition[S, D]
    settings: S
    runtime: Runtime
    units: UnitsOfWork[D]
    tokens: TokenVerifier
    consumer: ConsumerRunner | None
    poller: TimerPoller | None

    @property
    def deps(self) -> D:
        return self.units.deps

    @property
    def engine(self) -> AsyncEngine:
        return self.runtime.engine

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.units.sessions

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork[D]]:
        """A unit of work in a new transaction, committed when the block ends."""
        async with self.units.begin() as uow:
            yield uow


def assemble(
    definition: ServiceDefinition[S, D],
    settings: S | None = None,
    *,
    migrate_first: bool = False,
    deps: D | None = None,
) -> Service[S, D]:
    """Build (not start) the service. With ``migrate_first`` the runtime migrates before
    it starts (tests, the local launcher's single processes); otherwise it checks that the
    ``migrate`` command ran. ``deps`` replaces what ``definition.dependencies`` builds."""
    settings = settings or definition.settings.load()
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    if deps is None:
        deps = definition.dependencies(settings, Resources(engine, sessions))
    units = UnitsOfWork(sessions, deps)
    producer = make_producer(settings.kafka, client_id=settings.service_name)
    consumer = _consumer(definition, settings, units, producer)
    poller = _poller(definition, settings, units)
    runtime = Runtime(
        engine=engine,
        sessions=sessions,
        producer=producer,
        relay=OutboxRelay(
            sessions=sessions,
            producer=producer,
            batch_size=settings.outbox_batch_size,
            poll_seconds=settings.outbox_poll_seconds,
        ),
        consumers=[consumer] if consumer else [],
        pollers=[poller] if poller else [],
        workers=list(definition.workers(deps)),
        before_start=[
            *_schema_steps(definition, settings, migrate_first),
            partial(_create_topics, definition, settings),
            *definition.start_steps(deps),
        ],
        ready_without_broker=definition.ready_without_broker,
    )
    return Service(
        definition=definition,
        settings=settings,
        runtime=runtime,
        units=units,
        tokens=settings.token_verifier(),
        consumer=consumer,
        poller=poller,
    )


def _consumer(
    definition: ServiceDefinition[S, D], settings: S, units: UnitsOfWork[D], producer: Any
) -> ConsumerRunner | None:
    if not definition.reads:
        return None
    return ConsumerRunner(
        group_id=settings.consumer_group,
        topics=[settings.topic_name(topic.name) for topic in definition.reads],
        bootstrap_servers=settings.kafka,
        registry=definition.registry,
        units=units,
        handlers=definition.handlers,
        batch_handlers=definition.batch_handlers,
        producer=producer,
        max_attempts=settings.consumer_max_attempts,
        retry_backoff_seconds=settings.consumer_retry_backoff_seconds,
        records_per_transaction=settings.consumer_records_per_transaction,
    )


def _poller(
    definition: ServiceDefinition[S, D], settings: S, units: UnitsOfWork[D]
) -> TimerPoller | None:
    if not definition.timers and not definition.timer_batch_handlers:
        return None
    return TimerPoller(
        units=units,
        handlers=definition.timers,
        batch_handlers=definition.timer_batch_handlers,
        batch_size=settings.timer_batch_size,
        poll_seconds=settings.timer_poll_seconds,
    )


def _schema_steps(
    definition: ServiceDefinition[S, D], settings: S, migrate_first: bool
) -> list[StartStep]:
    schema = definition.migrations
    step = migrate if migrate_first else require_current
    return [
        partial(
            step,
            settings.database_url,
            versions_dir=schema.versions_dir,
            metadata=schema.metadata,
        )
    ]


async def _create_topics(definition: ServiceDefinition[S, D], settings: S) -> None:
    read = [settings.topic_name(topic.name) for topic in definition.reads]
    written = [topic.name for topic in definition.writes]
    dead_letters = [dead_letter_topic(settings.consumer_group)] if read else []
    await ensure_topics(
        settings.kafka,
        [*read, *written, *dead_letters],
        partitions=settings.topic_partitions,
    )
