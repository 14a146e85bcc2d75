"""A service is not ready while a warming worker has not done its first work (routing's
index, built from the database), and says which one in its readiness body."""

from __future__ import annotations

from switchboard.servicekit.db import create_engine, session_factory
from switchboard.servicekit.kafka import make_producer
from switchboard.servicekit.outbox import OutboxRelay
from switchboard.servicekit.runtime import Runtime, WarmingWorker


class IndexBuilder:
    name = "search index"

    def __init__(self) -> None:
        self.built = False

    async def run(self) -> None:
        self.built = True

    def stop(self) -> None:
        pass

    def not_ready_because(self) -> str | None:
        return None if self.built else "indexing"


class Sender:
    """A worker with nothing to warm up: no readiness check of its own."""

    async def run(self) -> None:
        pass

    def stop(self) -> None:
        pass


async def test_not_ready_until_a_warming_worker_has_done_its_first_work(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/ready.db")
    sessions = session_factory(engine)
    producer = make_producer("127.0.0.1:9")  # never started: the broker is not needed here
    index, sender = IndexBuilder(), Sender()
    assert isinstance(index, WarmingWorker)
    assert not isinstance(sender, WarmingWorker)
    runtime = Runtime(
        engine=engine,
        sessions=sessions,
        producer=producer,
        relay=OutboxRelay(sessions=sessions, producer=producer),
        workers=[index, sender],
        ready_without_broker=True,
    )
    runtime.started = True  # as after start(), without starting the producer
    waiting = await runtime.readiness()
    assert not waiting.ready
    assert waiting.checks["search index"] == "indexing"
    assert waiting.checks["database"] == "ok"

    await index.run()
    ready = await runtime.readiness()
    assert ready.ready, ready.checks
    assert ready.checks["search index"] == "ok"
    await engine.dispose()
