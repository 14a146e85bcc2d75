"""Work that must happen only once a transaction has committed (waking a worker, say)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

_AFTER_COMMIT = "switchboard.after_commit"


def call_after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run ``callback`` right after the session's outermost transaction commits; a
    rollback drops it. The same callback registered twice runs once."""
    callbacks = session.sync_session.info.setdefault(_AFTER_COMMIT, [])
    if callback not in callbacks:
        callbacks.append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the outermost commit runs them
    for callback in session.info.pop(_AFTER_COMMIT, []):
        callback()


@event.listens_for(Session, "after_transaction_end")
def _drop_when_outermost_ends(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # committed (already run) or rolled back (dropped)
        session.info.pop(_AFTER_COMMIT, None)
