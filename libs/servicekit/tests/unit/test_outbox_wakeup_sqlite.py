"""The relay is woken when a transaction that wrote the outbox commits, not before, not
after a rollback."""

from __future__ import annotations

import contextlib
from typing import ClassVar

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope
from switchboard.contracts.topics import Topic
from switchboard.servicekit.db import create_engine, session_factory
from switchboard.servicekit.outbox import OutboxWakeup, add_event
from switchboard.servicekit.tables import kit_metadata


class Noted(Event):
    event_type: ClassVar[str] = "test.noted"
    topic: ClassVar[Topic] = Topic("test.noted", "servicekit-tests", "key", "test events")
    key_field: ClassVar[str] = "key"
    key: str


async def test_the_wakeup_follows_the_commit_of_an_outbox_write(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/kit.db")
    async with engine.begin() as conn:
        await conn.run_sync(kit_metadata.create_all)
    sessions = session_factory(engine)
    wakeup = OutboxWakeup()
    try:
        with contextlib.suppress(RuntimeError):
            async with sessions() as session, session.begin():
                await add_event(session, Envelope(Noted(key="a"), source="/tests"))
                raise RuntimeError("rolled back")
        assert not wakeup.is_set()
        async with sessions() as session, session.begin():
            await add_event(session, Envelope(Noted(key="b"), source="/tests"))
            assert not wakeup.is_set(), "not before the commit"
        assert wakeup.is_set()
    finally:
        wakeup.close()
        await engine.dispose()
