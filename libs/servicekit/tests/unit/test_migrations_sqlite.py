"""Migrations run servicekit's branch and the service's branch together, idempotently."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import MetaData, inspect

from switchboard.servicekit.db import create_engine
from switchboard.servicekit.migrations import migrate

VERSIONS = Path(__file__).parent.parent / "fixtures" / "versions"


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    return names


async def test_migrate_creates_kit_and_service_tables_twice_safely(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/svc.db"
    await migrate(url, versions_dir=VERSIONS, metadata=MetaData())
    await migrate(url, versions_dir=VERSIONS, metadata=MetaData())
    assert {"sk_outbox", "sk_inbox", "sk_timers", "notes", "alembic_version"} <= await _tables(url)
