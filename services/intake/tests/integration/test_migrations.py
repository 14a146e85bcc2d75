"""The alembic branch builds exactly the tables the ORM maps, on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from switchboard.intake.bootstrap import DEFINITION
from switchboard.servicekit.db import create_engine
from switchboard.servicekit.migrations import migrate, require_current

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
SCHEMA = DEFINITION.migrations


def differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [
        diff
        for diff in compare_metadata(context, SCHEMA.metadata)
        if "sk_" not in str(diff)  # servicekit's own tables live in its own metadata
    ]


async def test_migrations_match_the_orm_and_run_twice(database_url):
    await migrate(database_url, versions_dir=SCHEMA.versions_dir, metadata=SCHEMA.metadata)
    await migrate(database_url, versions_dir=SCHEMA.versions_dir, metadata=SCHEMA.metadata)
    await require_current(database_url, versions_dir=SCHEMA.versions_dir, metadata=SCHEMA.metadata)
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(differences) == []
    finally:
        await engine.dispose()
