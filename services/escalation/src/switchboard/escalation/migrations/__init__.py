"""Alembic revisions of the escalation branch (run by ``servicekit.migrations.migrate``)."""

from pathlib import Path

VERSIONS_DIR = Path(__file__).parent / "versions"
