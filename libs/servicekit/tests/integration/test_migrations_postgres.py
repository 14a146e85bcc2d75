"""The same migrations on PostgreSQL."""

from __future__ import annotations

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
