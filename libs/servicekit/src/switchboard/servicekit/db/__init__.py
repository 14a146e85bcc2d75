"""Async engines and sessions for PostgreSQL (asyncpg) and the embedded SQLite default."""

from switchboard.servicekit.db.engine import (
    create_engine,
    dialect_of,
    session_factory,
)
from switchboard.servicekit.db.hooks import call_after_commit, call_after_rollback
from switchboard.servicekit.db.types import UTCDateTime, utcnow

__all__ = [
    "UTCDateTime",
    "call_after_commit",
    "call_after_rollback",
    "create_engine",
    "dialect_of",
    "session_factory",
    "utcnow",
]
