"""A tiny throwaway 'service' for servicekit's own tests: one event type, one effects table."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope, encode
from switchboard.contracts.registry import Registry
from switchboard.contracts.topics import Topic
from switchboard.servicekit.consumer import ConsumerRunner
from switchboard.servicekit.db import create_engine, session_factory
from switchboard.servicekit.tables import kit_metadata
from switchboard.servicekit.timers import Timer
from switchboard.servicekit.unit_of_work import UnitOfWork, without_dependencies

effects_metadata = MetaData()
effects = Table(
    "effects",
    effects_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False),
    Column("key", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
)


def make_event_model(topic_name: str) -> type[Event]:
    class Pinged(Event):
        event_type: ClassVar[str] = "test.pinged"
        topic: ClassVar[Topic] = Topic(topic_name, "servicekit-tests", "key", "test events")
        key_field: ClassVar[str] = "key"
        key: str
        seq: int
        poison: bool = False

    return Pinged


@dataclass
class KitWorld:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    topic: str
    model: type[Event]
    registry: Registry
    bootstrap: str

    def envelope(self, key: str, seq: int, **extra: Any) -> Envelope[Event]:
        return Envelope(self.model(key=key, seq=seq, **extra), source="/servicekit-tests")

    async def record_effect(self, envelope: Envelope[Any], uow: UnitOfWork[Any]) -> None:
        if envelope.data.poison:
            raise RuntimeError(f"refusing poison event seq={envelope.data.seq}")
        await uow.session.execute(
            insert(effects).values(
                event_id=envelope.id, key=envelope.data.key, seq=envelope.data.seq
            )
        )

    async def record_timer(self, timer: Timer, uow: UnitOfWork[Any]) -> None:
        await uow.session.execute(
            insert(effects).values(
                event_id=f"{timer.kind}:{timer.key}", key=timer.key, seq=timer.payload["n"]
            )
        )

    def consumer(self, producer: Any, **options: Any) -> ConsumerRunner:
        """A runner of this world's topic; handlers record effects unless given."""
        options.setdefault("handlers", {self.model: self.record_effect})
        return ConsumerRunner(
            group_id=f"g-{self.topic}",
            topics=[self.topic],
            bootstrap_servers=self.bootstrap,
            registry=self.registry,
            units=without_dependencies(self.sessions),
            producer=producer,
            **options,
        )

    async def send_all(self, producer: Any, envelopes: list[Envelope[Event]]) -> None:
        """Write the envelopes to the topic, in order, and wait until all are stored."""
        for envelope in envelopes:
            record = encode(envelope)
            await producer.send(
                self.topic, value=record.value, key=record.key, headers=record.headers
            )
        await producer.flush()

    async def effect_rows(self) -> list[Any]:
        async with self.sessions() as session:
            return list((await session.execute(effects.select().order_by(effects.c.id))).all())


@pytest.fixture
async def world(
    database_url: str, kafka_bootstrap: str, topic_name: str
) -> AsyncIterator[KitWorld]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(kit_metadata.create_all)
        await conn.run_sync(effects_metadata.create_all)
    model = make_event_model(topic_name)
    registry = Registry()
    registry.register(model)
    yield KitWorld(engine, session_factory(engine), topic_name, model, registry, kafka_bootstrap)
    await engine.dispose()
