"""What changed in routing's rows since a revision: how an offer loop keeps its index in
step with the database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.routing.adapters.orm import (
    AgentRow,
    CaseRow,
    PolicyDocumentRow,
    RevisionCounterRow,
)
from switchboard.routing.domain.model import ItemState

CASES_PER_READ = 10_000
"""Waiting cases read whole per statement (one parameter each)."""


@dataclass(frozen=True)
class Changes:
    revision: int
    agents: list[AgentRow]
    cases: list[CaseRow]
    """Changed cases waiting in a wanted pool, read whole."""
    settled: list[str]
    """Changed cases no longer waiting, or in pools not wanted: only their ids."""
    policy_document: dict[str, Any] | None


async def changes_since(
    session: AsyncSession, revision: int, *, wanted: Callable[[str], bool]
) -> Changes:
    """Everything committed after ``revision`` up to the counter's value read first.

    A visible counter value means every transaction up to it has committed, so reading
    rows at or below it (statement by statement) misses nothing. Of the changed cases only
    those waiting in a ``wanted`` pool are read whole; most changes (offers, answers) only
    take a case out of the index, for which its id is enough.
    """
    top = int((await session.execute(select(RevisionCounterRow.value))).scalar_one())
    if top <= revision:
        return Changes(revision, [], [], [], None)
    in_window = (revision + 1, top)
    agents = await session.scalars(select(AgentRow).where(AgentRow.revision.between(*in_window)))
    changed = await session.execute(
        select(CaseRow.case_id, CaseRow.state, CaseRow.pool).where(
            CaseRow.revision.between(*in_window)
        )
    )
    waiting: list[str] = []
    settled: list[str] = []
    for case_id, state, pool in changed:
        (waiting if state == ItemState.WAITING.value and wanted(pool) else settled).append(case_id)
    cases: list[CaseRow] = []
    # Read whole now, possibly newer than ``top``: the caller checks again. In slices: a
    # replica (re)building its index reads every waiting case, more ids than one statement
    # may carry (asyncpg takes at most 32,767 parameters).
    for start in range(0, len(waiting), CASES_PER_READ):
        ids = waiting[start : start + CASES_PER_READ]
        cases += await session.scalars(select(CaseRow).where(CaseRow.case_id.in_(ids)))
    document = await session.scalar(
        select(PolicyDocumentRow).where(PolicyDocumentRow.revision.between(*in_window))
    )
    return Changes(top, list(agents.all()), cases, settled, document.document if document else None)
