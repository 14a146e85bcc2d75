"""Routing's alembic branch (``routing``), run with servicekit's migrate()."""

from pathlib import Path

VERSIONS_DIR = Path(__file__).parent / "versions"
