"""The problem watch reads the contacts' table by id: a contact whose transaction commits
after a later id was read (partitions handled at once, several replicas) is still counted,
and an id that never shows up (a rolled-back insert) is looked for only a short while."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from switchboard.escalation.adapters.problem_watch import GAP_GRACE_SECONDS, ProblemWatch
from switchboard.escalation.adapters.problems import ProblemContactRow
from switchboard.escalation.domain.problem_detection import ALL

from ..conftest import MONDAY_MORNING, Stack


class Monotonic:
    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


async def commit_contact(stack: Stack, row_id: int) -> None:
    async with stack.transaction() as uow:
        uow.session.add(
            ProblemContactRow(
                id=row_id,
                contact_id=f"contact-{row_id}",
                at=MONDAY_MORNING + timedelta(seconds=row_id),
                region="nordics",
                language="da",
                terms="betaling",
                excerpt="Betalingen bliver afvist.",
                customer_id=f"cust-{row_id}",
                sealed=False,
            )
        )


async def counted(stack: Stack, watch: ProblemWatch) -> int:
    async with stack.transaction() as uow:
        await watch.catch_up(uow.session, now=MONDAY_MORNING + timedelta(minutes=1))
    assert watch.detector is not None
    return watch.detector.counts("nordics", ALL)[0]


async def test_a_contact_committed_after_a_later_one_was_read_is_counted(
    stack: Stack, tmp_path: Path
) -> None:
    """Found by review: the watch moved past id 2 once it read id 3, so a contact whose
    transaction committed after 3 was read was never counted."""
    clock = Monotonic()
    watch = ProblemWatch(lexicon_cache=tmp_path / "lexicon.json", clock=clock)
    await commit_contact(stack, 1)
    await commit_contact(stack, 3)  # 2 is taken by a transaction not committed yet
    assert await counted(stack, watch) == 2

    await commit_contact(stack, 2)
    assert await counted(stack, watch) == 3
    assert await counted(stack, watch) == 3  # once

    await commit_contact(stack, 5)  # 4 rolled back: it never comes
    assert await counted(stack, watch) == 4
    assert set(watch.gaps) == {4}
    clock.seconds += GAP_GRACE_SECONDS + 1
    assert await counted(stack, watch) == 4
    assert watch.gaps == {}
