"""Work that must happen only once a transaction has committed (waking a worker, say)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

_AFTER_COMMIT = "switchboard.after_commit"
_AFTER_ROLLBACK = "switchboard.after_rollback"


def call_after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run ``callback`` right after the session's outermost transaction commits; a
    rollback drops it. The same callback registered twice runs once."""
    callbacks = session.sync_session.info.setdefault(_AFTER_COMMIT, [])
    if callback not in callbacks:
        callbacks.append(callback)


def call_after_rollback(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run ``callback`` if the session's outermost transaction ends without committing
    (to undo in-memory work that assumed it would). Registered twice, it runs once."""
    callbacks = session.sync_session.info.setdefault(_AFTER_ROLLBACK, [])
    if callback not in callbacks:
        callbacks.append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the outermost commit runs them
    session.info.pop(_AFTER_ROLLBACK, None)
    for callback in session.info.pop(_AFTER_COMMIT, []):
        callback()


@event.listens_for(Session, "after_transaction_end")
def _settle_when_outermost_ends(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    session.info.pop(_AFTER_COMMIT, None)  # committed: already run; else dropped
    for callback in session.info.pop(_AFTER_ROLLBACK, []):  # left only if not committed
        callback()
