"""Feedback's alembic branch (``feedback``); servicekit's migrate() runs it with its own."""

from pathlib import Path

VERSIONS_DIR = Path(__file__).parent / "versions"
