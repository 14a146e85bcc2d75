"""The running parts of a service: engine, producer, relay, consumers, timer pollers.

A service's ``bootstrap()`` builds one ``Runtime``; the FastAPI lifespan (or a test)
starts and stops it. Nothing here starts at import time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from switchboard.servicekit.consumer import ConsumerRunner
from switchboard.servicekit.faults import BROKER
from switchboard.servicekit.kafka import BrokerProbe
from switchboard.servicekit.metrics import DEPENDENCY_UP, READY
from switchboard.servicekit.outbox import OutboxRelay
from switchboard.servicekit.stalls import Backoff, StallWatch
from switchboard.servicekit.timers import TimerPoller

log = logging.getLogger(__name__)


class Worker(Protocol):
    """Anything that runs until told to stop (a webhook sender, a projector...)."""

    async def run(self) -> None: ...

    def stop(self) -> None: ...


@runtime_checkable
class WarmingWorker(Protocol):
    """A worker the service is not ready without until it has done its first work (an
    in-memory index built from the database, say)."""

    @property
    def name(self) -> str: ...

    def not_ready_because(self) -> str | None:
        """Why the service cannot serve yet (``building the routing index``), or None."""
        ...


DATABASE_CHECK_SECONDS = 2.0
STALL_GRACE_SECONDS = 1.0
OK = "ok"


@dataclass(frozen=True)
class Readiness:
    ready: bool
    checks: dict[str, str]
    """Each check's state: ``ok`` or what is wrong (``unreachable``, ``stalled for 3.1s:
    broker (KafkaConnectionError)``...)."""


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
    ready_without_broker: bool = True
    """Whether the service does its HTTP work while the broker is down (its writes wait in
    the outbox); a broker outage then shows in the readiness body, not its status."""
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _broker: BrokerProbe | None = None
    started: bool = False

    async def start(self) -> None:
        for step in self.before_start:
            await step()
        await self.producer.start()
        self._broker = BrokerProbe(self.producer)
        for consumer in self.consumers:
            await consumer.start()
        runnables: list[Callable[[], Awaitable[None]]] = [self.relay.run]
        runnables += [c.run for c in self.consumers]
        runnables += [p.run for p in self.pollers]
        runnables += [w.run for w in self.workers]
        self._stopping.clear()
        self._tasks = [asyncio.create_task(self._supervised(r)) for r in runnables]
        self.started = True

    async def stop(self) -> None:
        self._stopping.set()
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

    async def readiness(self) -> Readiness:
        """Ready when the database answers and no loop waits for anything but the broker
        (or for nothing at all, where the service needs the broker to serve)."""
        database, broker = await asyncio.gather(self._database_state(), self._broker_state())
        checks = {"database": database, "broker": broker, "started": OK if self.started else "no"}
        loops: list[tuple[str, StallWatch, bool]] = [("relay", self.relay.stall, True)]
        loops += [(f"consumer {c.group_id}", c.stall, c.running) for c in self.consumers]
        loops += [("timers", p.stall, p.running) for p in self.pollers]
        ready = database == OK and self.started and (broker == OK or self.ready_without_broker)
        for name, stall, running in loops:
            if stall.current is not None:
                checks[name] = stall.current.describe()
                if stall.current.dependency == BROKER:
                    ready = ready and self.ready_without_broker
                elif stall.current.age() > STALL_GRACE_SECONDS:  # not a single retried deadlock
                    ready = False
            elif broker != OK and name != "timers":
                checks[name] = "waiting for the broker"
            elif running or not self.started:
                checks[name] = OK
            else:
                checks[name] = "stopped"
                ready = False
        for worker in self.workers:
            if isinstance(worker, WarmingWorker):
                waiting_for = worker.not_ready_because() if self.started else None
                checks[worker.name] = waiting_for or OK
                ready = ready and waiting_for is None
        READY.set(1 if ready else 0)
        return Readiness(ready=ready, checks=checks)

    async def _database_state(self) -> str:
        try:
            async with asyncio.timeout(DATABASE_CHECK_SECONDS):
                async with self.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            DEPENDENCY_UP.labels("database").set(1)
            return OK
        except Exception as error:
            DEPENDENCY_UP.labels("database").set(0)
            return f"unreachable ({type(error).__name__})"

    async def _broker_state(self) -> str:
        if self._broker is None:
            return "not connected yet"
        return OK if await self._broker.reachable() else "unreachable"

    async def _supervised(self, run: Callable[[], Awaitable[None]]) -> None:
        """Run a background loop; one that dies is logged and started again (after a
        growing pause) instead of vanishing silently."""
        backoff = Backoff(first=0.5, cap=30.0)
        name = getattr(run, "__qualname__", repr(run))
        while True:
            try:
                await run()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background loop %s stopped with an error; restarting", name)
            if self._stopping.is_set():
                return
            await asyncio.sleep(backoff.next())
