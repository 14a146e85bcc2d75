"""Roll-up deltas on PostgreSQL: answers counted at once by many writers while two folders
fold them; every KPI read in between counts each answer exactly once (in the roll-ups or
still a delta, never both, never neither)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from switchboard.feedback.adapters.orm import Base, RollupDeltaRow
from switchboard.feedback.adapters.rollup_folder import RollupFolder
from switchboard.feedback.adapters.rollup_store import add_measurement, read_slice
from switchboard.feedback.domain.kpis import Counters
from switchboard.feedback.domain.report import make_slice
from switchboard.feedback.domain.rollups import Measurement, Period
from switchboard.feedback.migrations import VERSIONS_DIR
from switchboard.servicekit.db import create_engine, session_factory
from switchboard.servicekit.migrations import migrate

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

WRITERS, ANSWERS_EACH = 8, 25
AT = datetime(2026, 5, 4, 10, 30, tzinfo=UTC)
MONTH = make_slice(
    region="nordics",
    agent_id=None,
    team=None,
    channel=None,
    period=Period.MONTH,
    first=date(2026, 5, 1),
    last=date(2026, 5, 31),
    max_buckets=10,
)


async def test_concurrent_answers_and_two_folders_count_each_answer_once(database_url):
    url = database_url.replace("postgresql://", "postgresql+asyncpg://", 1)
    await migrate(url, versions_dir=VERSIONS_DIR, metadata=Base.metadata)
    engine = create_engine(url, pool_size=12)
    sessions = session_factory(engine)
    answer = Counters(surveys_answered=1, csat_answers=1, csat_satisfied=1)
    committed = 0
    seen: list[tuple[int, int]] = []  # (committed before the read, counted by it)

    async def writer(n: int) -> None:
        nonlocal committed
        for i in range(ANSWERS_EACH):
            measurement = Measurement(
                at=AT, region="nordics", channel="chat", counters=answer, agent_id=f"a{n}-{i % 3}"
            )
            async with sessions() as session, session.begin():
                await add_measurement(session, measurement=measurement, zone=UTC)
            committed += 1

    async def counted() -> int:
        async with sessions() as session:
            series, _ = await read_slice(session, query=MONTH)
        return sum(c.surveys_answered for c in series.values())

    async def reader(done: asyncio.Event) -> None:
        while not done.is_set():
            before = committed
            seen.append((before, await counted()))
            await asyncio.sleep(0.005)

    folders = [RollupFolder(sessions, batch=40, pause_seconds=0.01) for _ in range(2)]
    try:
        folding = [asyncio.create_task(folder.run()) for folder in folders]
        done = asyncio.Event()
        reading = asyncio.create_task(reader(done))
        await asyncio.gather(*(writer(n) for n in range(WRITERS)))
        done.set()
        await reading
        async with sessions() as session:
            while await session.scalar(select(func.count()).select_from(RollupDeltaRow)):
                await asyncio.sleep(0.05)
        for folder in folders:
            folder.stop()
        await asyncio.gather(*folding)

        total = WRITERS * ANSWERS_EACH
        assert await counted() == total
        assert seen, "no read ran during the writes"
        for before, count in seen:
            assert before <= count <= total, (before, count)
        assert [count for _, count in seen] == sorted(count for _, count in seen)
        async with sessions() as session:
            agents = await read_slice(
                session,
                query=make_slice(
                    region="nordics",
                    agent_id="a0-0",
                    team=None,
                    channel=None,
                    period=Period.DAY,
                    first=date(2026, 5, 4),
                    last=date(2026, 5, 4),
                    max_buckets=10,
                ),
            )
        assert sum(c.surveys_answered for c in agents[0].values()) == 9  # i = 0, 3, ..., 24
    finally:
        await engine.dispose()
