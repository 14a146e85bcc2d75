"""Feedback's migrations build exactly the tables its ORM maps, with the index and unique
constraint names the shared naming convention gives."""

from __future__ import annotations

from switchboard.feedback.bootstrap import DEFINITION
from switchboard.servicekit.testing.schema import migration_drift


def test_the_migrations_build_the_tables_the_orm_maps(tmp_path):
    schema = DEFINITION.migrations
    drift = migration_drift(tmp_path, versions_dir=schema.versions_dir, metadata=schema.metadata)
    assert drift == []
