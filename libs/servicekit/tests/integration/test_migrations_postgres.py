"""The same migrations on PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import MetaData, inspect

from switchboard.servicekit.db import create_engine
from switchboard.servicekit.migrations import migrate

pytestmark = pytest.mark.integration
VERSIONS = Path(__file__).parent.parent / "fixtures" / "versions"


async def test_migrate_on_postgres(database_url):
    await migrate(database_url, versions_dir=VERSIONS, metadata=MetaData())
    await migrate(database_url, versions_dir=VERSIONS, metadata=MetaData())
    engine = create_engine(database_url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    assert {"sk_outbox", "sk_inbox", "sk_timers", "notes"} <= names


async def test_replicas_migrating_an_empty_database_together_take_turns(database_url):
    """Without the lock, three starts racing on one empty database fail on duplicate tables
    or a duplicate alembic_version row."""
    await asyncio.gather(
        *(migrate(database_url, versions_dir=VERSIONS, metadata=MetaData()) for _ in range(3))
    )
    engine = create_engine(database_url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    assert {"sk_outbox", "sk_inbox", "sk_timers", "notes"} <= names


async def test_servicekit_migration_matches_its_tables(database_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from switchboard.servicekit.tables import kit_metadata

    await migrate(database_url, versions_dir=VERSIONS, metadata=MetaData())
    engine = create_engine(database_url)
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c), kit_metadata)
        )
    await engine.dispose()
    kit_tables = {"sk_outbox", "sk_inbox", "sk_timers"}
    ours = [d for d in diff if _table_of(d) in kit_tables]
    assert ours == [], f"the servicekit migrations and tables.py disagree: {ours}"


def _table_of(change):
    item = change[0] if isinstance(change, list) else change
    for part in item[1:]:
        if isinstance(part, str):
            return part if part.startswith("sk_") else None
        name = getattr(part, "name", None)
        table = getattr(part, "table", None)
        if table is not None:
            return table.name
        if name in {"sk_outbox", "sk_inbox", "sk_timers"}:
            return name
    return None
