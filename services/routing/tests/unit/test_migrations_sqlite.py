"""Routing's alembic branch builds exactly the tables the ORM maps (embedded SQLite)."""

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from switchboard.routing.adapters.orm import metadata
from switchboard.routing.migrations import VERSIONS_DIR
from switchboard.servicekit.migrations import migrate


def test_sqlite_migrations_match_the_orm(tmp_path):
    path = tmp_path / "routing.db"
    asyncio.run(
        migrate(f"sqlite+aiosqlite:///{path}", versions_dir=VERSIONS_DIR, metadata=metadata)
    )
    with create_engine(f"sqlite:///{path}").connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(context, metadata) if "sk_" not in str(d)]
    assert diffs == []
