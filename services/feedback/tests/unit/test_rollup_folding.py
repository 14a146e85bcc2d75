"""Roll-up deltas: what answers and case events count is written as deltas, folded into the
roll-ups in batches; a KPI read is the same before, during and after the fold."""

from __future__ import annotations

from sqlalchemy import func, select

from switchboard.feedback.adapters.orm import RollupDeltaRow, RollupRow
from switchboard.feedback.adapters.rollup_folder import RollupFolder
from switchboard.feedback.adapters.rollup_store import fold_deltas

from .conftest import Feedback, resolve, totals


async def rows(feedback: Feedback, table) -> int:
    async with feedback.service.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_reads_count_deltas_not_folded_yet_and_the_fold_changes_no_kpi(feedback, clock):
    for _ in range(3):
        await resolve(feedback, clock)
    unfolded = await totals(feedback)
    assert (unfolded.cases_opened, unfolded.resolutions, unfolded.first_responses) == (3, 3, 3)
    pending = await rows(feedback, RollupDeltaRow)
    assert pending > 0

    # Folded a few at a time: every read in between sees the same counters.
    async with feedback.service.sessions() as session, session.begin():
        assert await fold_deltas(session, batch=5) == 5
    assert await totals(feedback) == unfolded
    folder = RollupFolder(feedback.service.sessions, batch=7)
    while await folder.fold_once():
        assert await totals(feedback) == unfolded
    assert await rows(feedback, RollupDeltaRow) == 0
    assert await rows(feedback, RollupRow) > 0

    # A later case adds to the folded buckets, first as deltas, then folded.
    await resolve(feedback, clock)
    assert (await totals(feedback)).resolutions == 4
    while await folder.fold_once():
        pass
    assert (await totals(feedback)).resolutions == 4
    assert await rows(feedback, RollupDeltaRow) == 0
