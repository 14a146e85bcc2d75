"""The running parts of a service: engine, producer, relay, consumers, timer pollers.

A service's ``bootstrap()`` builds one ``Runtime``; the FastAPI lifespan (or a test)
starts and stops it. Nothing here starts at import time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from switchboard.servicekit.consumer import ConsumerRunner
from switchboard.servicekit.outbox import OutboxRelay
from switchboard.servicekit.timers import TimerPoller

log = logging.getLogger(__name__)


class Worker(Protocol):
    """Anything that runs until told to stop (a webhook sender, a projector...)."""

    async def run(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class Runtime:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    producer: AIOKafkaProducer
    relay: OutboxRelay
    consumers: Sequence[ConsumerRunner] = ()
    pollers: Sequence[TimerPoller] = ()
    workers: Sequence[Worker] = ()
    before_start: Sequence[Callable[[], Awaitable[object]]] = ()
    """Steps awaited in order before anything starts (their results are not used)."""
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    started: bool = False

    async def start(self) -> None:
        for step in self.before_start:
            await step()
        await self.producer.start()
        for consumer in self.consumers:
            await consumer.start()
        runnables: list[Callable[[], Awaitable[None]]] = [self.relay.run]
        runnables += [c.run for c in self.consumers]
        runnables += [p.run for p in self.pollers]
        runnables += [w.run for w in self.workers]
        self._tasks = [asyncio.create_task(_supervised(r)) for r in runnables]
        self.started = True

    async def stop(self) -> None:
        self.relay.stop()
        for consumer in self.consumers:
            await consumer.stop()
        for poller in self.pollers:
            poller.stop()
        for worker in self.workers:
            worker.stop()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=15)
        for task in self._tasks:
            task.cancel()
        await self.producer.stop()
        await self.engine.dispose()
        self.started = False

    async def readiness(self) -> dict[str, bool]:
        checks = {"database": await self._database_answers(), "relay": self.relay.healthy}
        checks["consumers"] = all(c.running for c in self.consumers)
        checks["started"] = self.started
        return checks

    async def _database_answers(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await asyncio.wait_for(conn.execute(text("SELECT 1")), 2)
            return True
        except Exception:
            return False


async def _supervised(run: Callable[[], Awaitable[None]]) -> None:
    """Log a background loop that dies instead of letting it vanish silently."""
    try:
        await run()
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("background loop %s stopped with an error", getattr(run, "__qualname__", run))
        raise
