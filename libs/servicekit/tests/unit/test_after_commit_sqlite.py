"""Callbacks registered in a transaction run once after it commits, never after a rollback."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from sqlalchemy import func, select

from switchboard.servicekit.db import (
    call_after_commit,
    call_after_rollback,
    create_engine,
    session_factory,
    utcnow,
)
from switchboard.servicekit.tables import kit_metadata, timers
from switchboard.servicekit.timers import cancel_many, schedule_many


async def test_after_commit_runs_once_per_commit_and_never_after_rollback(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/kit.db")
    async with engine.begin() as conn:
        await conn.run_sync(kit_metadata.create_all)
    sessions = session_factory(engine)
    calls: list[str] = []

    def wake() -> None:
        calls.append("wake")

    async with sessions() as session, session.begin():
        call_after_commit(session, wake)
        call_after_commit(session, wake)  # registered twice, runs once
        assert calls == [], "nothing runs before the commit"
    assert calls == ["wake"]

    with contextlib.suppress(RuntimeError):
        async with sessions() as session, session.begin():
            call_after_commit(session, lambda: calls.append("rolled back"))
            call_after_rollback(session, lambda: calls.append("undo"))
            raise RuntimeError("abort")
    assert calls == ["wake", "undo"]
    async with sessions() as session, session.begin():
        call_after_rollback(session, lambda: calls.append("not after a commit"))
    assert calls == ["wake", "undo"]
    calls.remove("undo")
    async with sessions() as session:
        async with session.begin():
            nested = await session.begin_nested()
            call_after_commit(session, lambda: calls.append("outer commit"))
            await nested.commit()
            assert calls == ["wake"], "a savepoint's release is no commit"
        async with session.begin():
            pass  # the same session's next transaction does not rerun anything
    assert calls == ["wake", "outer commit"]
    await engine.dispose()


async def test_cancel_many_drops_only_the_given_keys(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/kit.db")
    async with engine.begin() as conn:
        await conn.run_sync(kit_metadata.create_all)
    sessions = session_factory(engine)
    due = utcnow() + timedelta(minutes=5)
    async with sessions() as session, session.begin():
        await schedule_many(session, kind="k", due=[(key, due, None) for key in "abcd"])
        assert await cancel_many(session, kind="k", keys=["a", "c", "z"]) == 2
        assert await cancel_many(session, kind="k", keys=[]) == 0
    async with sessions() as session:
        left = await session.scalars(select(timers.c.key).order_by(timers.c.key))
        assert list(left) == ["b", "d"]
        assert await session.scalar(select(func.count()).select_from(timers)) == 2
    await engine.dispose()
