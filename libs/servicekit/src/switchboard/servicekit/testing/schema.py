"""Checking a service's migrations against its ORM tables, on an embedded SQLite file."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine

from switchboard.servicekit.migrations import migrate


def migration_drift(directory: Path, *, versions_dir: Path, metadata: MetaData) -> list[Any]:
    """Run every migration into a new database under ``directory``; what still differs
    from ``metadata`` (servicekit's own ``sk_`` tables aside). Empty when they agree."""
    path = directory / "schema.db"
    asyncio.run(
        migrate(f"sqlite+aiosqlite:///{path}", versions_dir=versions_dir, metadata=metadata)
    )
    with create_engine(f"sqlite:///{path}").connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [diff for diff in compare_metadata(context, metadata) if "sk_" not in str(diff)]
