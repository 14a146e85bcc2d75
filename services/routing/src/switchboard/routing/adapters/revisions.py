"""Revisions: every committed change of an agent, a case or the policy document carries the
number of the transaction that made it, so that an offer loop can read what changed since
the revision it last saw.

The number comes from one counter row, taken as the transaction commits and locked until
it has, so revisions become visible in order (a replica that sees revision n has seen every
change up to n) and the counter is held only for the commit itself. Hooks on the session
stamp the rows, whatever code changed them: rows changed through the ORM at commit, rows a
bulk UPDATE changes with the statement (that transaction takes its revision then).

Once the transaction has committed, the session factory's ``on change`` callback (the
replica's offer loop) is told when the change gives the loop something to do: a case left
waiting, or an agent changed other than by taking an offer of this same transaction (an
offer only takes a slot; the loop made it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

from switchboard.routing.adapters.orm import (
    AgentRow,
    CaseRow,
    OfferRow,
    PolicyDocumentRow,
    RevisionCounterRow,
)
from switchboard.routing.domain.model import ItemState

Stamped = AgentRow | CaseRow | PolicyDocumentRow
STAMPED_TABLES = frozenset(row.__table__ for row in (AgentRow, CaseRow, PolicyDocumentRow))

_ON_CHANGE = "switchboard.routing.on-change"
_CHANGES = "switchboard.routing.changes"
_WAKE = "switchboard.routing.wake"


def wake_on_change(sessions: async_sessionmaker[AsyncSession], wake: Callable[[], None]) -> None:
    """Sessions from ``sessions`` call ``wake`` after committing a change an offer loop acts
    on (a waiting case, an agent freed or changed)."""
    sessions.configure(info={_ON_CHANGE: wake})


@dataclass
class _Changes:
    """What one transaction changed, gathered at each flush and at commit."""

    rows: set[Stamped] = field(default_factory=set)
    offered_agents: set[str] = field(default_factory=set)
    revision: int | None = None
    """Taken at commit, or earlier by a bulk UPDATE (which then holds the counter)."""
    bulk: bool = False

    def give_the_loop_work(self) -> bool:
        if self.bulk:
            return True  # what a bulk UPDATE changed is not known: look
        for row in self.rows:
            if isinstance(row, CaseRow) and row.state == ItemState.WAITING.value:
                return True
            if isinstance(row, AgentRow) and row.id not in self.offered_agents:
                return True
        return False


def _changes(session: Session) -> _Changes:
    changes: _Changes | None = session.info.get(_CHANGES)
    if changes is None:
        changes = session.info[_CHANGES] = _Changes()
    return changes


def _note_changes(session: Session) -> None:
    changes: _Changes | None = None
    for row in session.new:
        if isinstance(row, Stamped):
            changes = changes or _changes(session)
            changes.rows.add(row)
        elif isinstance(row, OfferRow):
            changes = changes or _changes(session)
            changes.offered_agents.add(row.agent_id)
    for row in session.dirty:
        if isinstance(row, Stamped) and session.is_modified(row):
            changes = changes or _changes(session)
            changes.rows.add(row)


def _take_revision(session: Session, changes: _Changes) -> int:
    if changes.revision is None:
        with session.no_autoflush:  # rows not flushed yet are then written once, with it
            changes.revision = session.execute(
                update(RevisionCounterRow)
                .where(RevisionCounterRow.id == 1)
                .values(value=RevisionCounterRow.value + 1)
                .returning(RevisionCounterRow.value)
            ).scalar_one()
    return changes.revision


@event.listens_for(Session, "before_flush")
def _note_before_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    _note_changes(session)  # rows flushed now are no longer new or dirty at commit


@event.listens_for(Session, "do_orm_execute")
def _stamp_bulk_updates(execution: ORMExecuteState) -> None:
    if not execution.is_update:
        return
    if getattr(execution.statement, "table", None) not in STAMPED_TABLES:
        return
    changes = _changes(execution.session)
    changes.bulk = True
    execution.statement = execution.statement.values(  # type: ignore[attr-defined]
        revision=_take_revision(execution.session, changes)
    )


@event.listens_for(Session, "before_commit")
def _stamp_before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the outermost commit stamps
    _note_changes(session)
    changes: _Changes | None = session.info.get(_CHANGES)
    if changes is None or not (changes.rows or changes.bulk):
        return
    revision = _take_revision(session, changes)
    for row in changes.rows:
        row.revision = revision
    if _ON_CHANGE in session.info and changes.give_the_loop_work():
        session.info[_WAKE] = True


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    if not session.in_nested_transaction() and session.info.pop(_WAKE, False):
        session.info[_ON_CHANGE]()


@event.listens_for(Session, "after_transaction_end")
def _forget_when_outermost_ends(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_CHANGES, None)
        session.info.pop(_WAKE, None)
