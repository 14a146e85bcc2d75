"""Routing's alembic branch builds exactly the tables the ORM maps (embedded SQLite)."""

from switchboard.routing.adapters.orm import Base
from switchboard.routing.migrations import VERSIONS_DIR
from switchboard.servicekit.testing.schema import migration_drift


def test_sqlite_migrations_match_the_orm(tmp_path):
    assert migration_drift(tmp_path, versions_dir=VERSIONS_DIR, metadata=Base.metadata) == []
