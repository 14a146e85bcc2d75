"""fb0002 (hour buckets) on PostgreSQL and SQLite: rows kept as hour 0, the key matches
the ORM, and it goes down and up again."""

from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from switchboard.feedback.adapters.orm import Base
from switchboard.feedback.migrations import VERSIONS_DIR
from switchboard.servicekit.db import create_engine
from switchboard.servicekit.migrations import alembic_config, migrate

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

DAY_ROW = text(
    "INSERT INTO fb_kpi_rollups (period, region, facet, facet_value, bucket, csat_answers)"
    " VALUES ('day', 'nordics', 'all', '', :bucket, 3)"
)


def _to(connection, revision: str, *, down: bool = False) -> None:
    cfg = alembic_config(VERSIONS_DIR, Base.metadata)
    cfg.attributes["connection"] = connection
    (command.downgrade if down else command.upgrade)(cfg, revision)


def _rollup_differences(connection) -> list:
    diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    return [d for d in diff if "fb_kpi_rollup" in repr(d)]  # the roll-ups and their deltas


async def _round_trip(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_to, "fb0001")
            await conn.execute(DAY_ROW, {"bucket": date(2026, 5, 4)})
        await migrate(url, versions_dir=VERSIONS_DIR, metadata=Base.metadata)
        async with engine.begin() as conn:
            kept = (await conn.execute(text("SELECT hour, csat_answers FROM fb_kpi_rollups"))).all()
            key = await conn.run_sync(
                lambda c: inspect(c).get_pk_constraint("fb_kpi_rollups")["constrained_columns"]
            )
            assert await conn.run_sync(_rollup_differences) == []
            await conn.run_sync(_to, "fb0001", down=True)
            await conn.run_sync(_to, "heads")
        assert [tuple(row) for row in kept] == [(0, 3)]
        assert key == ["period", "region", "facet", "facet_value", "bucket", "hour"]
    finally:
        await engine.dispose()


async def test_hour_buckets_migrate_on_postgres(database_url):
    await _round_trip(database_url.replace("postgresql://", "postgresql+asyncpg://", 1))


async def test_hour_buckets_migrate_on_sqlite(tmp_path):
    await _round_trip(f"sqlite+aiosqlite:///{tmp_path / 'feedback.db'}")
