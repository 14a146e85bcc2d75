"""Timers on the embedded SQLite database: schedule, move, cancel, fire, retry, park."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from switchboard.servicekit.db import create_engine, session_factory, utcnow
from switchboard.servicekit.tables import kit_metadata, timers
from switchboard.servicekit.timers import Timer, TimerPoller, cancel, schedule, schedule_many
from switchboard.servicekit.unit_of_work import without_dependencies


async def _sessions(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/kit.db")
    async with engine.begin() as conn:
        await conn.run_sync(kit_metadata.create_all)
    return engine, session_factory(engine)


async def test_due_timers_fire_once_and_future_ones_wait(tmp_path):
    engine, sessions = await _sessions(tmp_path)
    fired: list[Timer] = []

    async def handler(timer, uow):
        fired.append(timer)

    now = utcnow()
    async with sessions() as session, session.begin():
        await schedule(session, kind="offer", key="a", due_at=now - timedelta(seconds=1))
        await schedule(session, kind="offer", key="b", due_at=now + timedelta(hours=1))
        await schedule(session, kind="offer", key="c", due_at=now + timedelta(hours=1))
        await schedule(
            session,
            kind="offer",
            key="c",
            due_at=now - timedelta(seconds=2),
            payload={"moved": True},
        )
        await schedule(session, kind="offer", key="d", due_at=now - timedelta(seconds=1))
        assert await cancel(session, kind="offer", key="d")
    poller = TimerPoller(units=without_dependencies(sessions), handlers={"offer": handler})
    assert await poller.fire_due() == 2
    assert await poller.fire_due() == 0
    assert [t.key for t in fired] == ["c", "a"]
    assert fired[0].payload == {"moved": True}
    await engine.dispose()


async def test_a_failing_handler_is_retried_with_backoff_then_parked(tmp_path):
    engine, sessions = await _sessions(tmp_path)
    clock = [utcnow()]

    async def broken(timer, uow):
        raise ValueError("downstream refused")

    async with sessions() as session, session.begin():
        await schedule(session, kind="survey", key="s1", due_at=clock[0])
    poller = TimerPoller(
        units=without_dependencies(sessions),
        handlers={"survey": broken},
        max_attempts=2,
        retry_backoff=timedelta(seconds=10),
        clock=lambda: clock[0],
    )
    assert await poller.fire_due() == 1
    assert await poller.fire_due() == 0, "backoff must delay the retry"
    clock[0] += timedelta(seconds=11)
    assert await poller.fire_due() == 1
    clock[0] += timedelta(days=1)
    assert await poller.fire_due() == 0, "a parked timer is not retried"
    async with sessions() as session:
        row = (await session.execute(select(timers))).one()
    assert row.attempts == 2
    assert row.dead_at is not None
    assert "downstream refused" in row.last_error
    await engine.dispose()


async def test_a_handler_may_reschedule_its_own_timer(tmp_path):
    engine, sessions = await _sessions(tmp_path)
    clock = [utcnow()]
    seen: list[int] = []

    async def warn_then_breach(timer, uow):
        seen.append(timer.payload["step"])
        if timer.payload["step"] == 1:
            await schedule(
                uow.session,
                kind="sla",
                key=timer.key,
                due_at=clock[0] + timedelta(minutes=5),
                payload={"step": 2},
            )

    async with sessions() as session, session.begin():
        await schedule(session, kind="sla", key="case-1", due_at=clock[0], payload={"step": 1})
    poller = TimerPoller(
        units=without_dependencies(sessions),
        handlers={"sla": warn_then_breach},
        clock=lambda: clock[0],
    )
    assert await poller.fire_due() == 1
    clock[0] += timedelta(minutes=6)
    assert await poller.fire_due() == 1
    assert seen == [1, 2]
    await engine.dispose()


async def test_batch_handler_fires_many_at_once_and_isolates_a_bad_timer(tmp_path):
    engine, sessions = await _sessions(tmp_path)
    calls: list[list[str]] = []
    now = utcnow()

    async def fire_clocks(batch, uow):
        keys = [t.key for t in batch]
        calls.append(keys)
        if "bad" in keys:
            raise ValueError("clock bad is corrupt")
        await uow.schedule("done", ",".join(keys), now + timedelta(days=1))

    async with sessions() as session, session.begin():
        await schedule_many(
            session,
            kind="sla",
            due=[(f"c{i}", now - timedelta(seconds=i), {"i": i}) for i in range(5)]
            + [("bad", now - timedelta(seconds=10), None)],
        )
    poller = TimerPoller(
        units=without_dependencies(sessions), handlers={}, batch_handlers={"sla": fire_clocks}
    )
    assert await poller.fire_due() == 6
    assert len(calls[0]) == 6, "all due timers of the kind went to one call"
    assert calls[1:] == [["bad"], ["c4"], ["c3"], ["c2"], ["c1"], ["c0"]]
    async with sessions() as session:
        rows = {(r.kind, r.key): r for r in (await session.execute(select(timers))).all()}
    assert rows[("sla", "bad")].attempts == 1, "the bad timer stays, to be retried alone"
    assert {k for (kind, k) in rows if kind == "done"} == {"c4", "c3", "c2", "c1", "c0"}
    assert not any(kind == "sla" and k != "bad" for (kind, k) in rows)
    await engine.dispose()
