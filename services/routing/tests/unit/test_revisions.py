"""Revisions and wake-ups: every committed change of an agent, a case or the policy
document carries its transaction's revision, whatever code made it, and the offer loop is
woken after a commit that gives it something to do."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from switchboard.routing.adapters import changes as changes_module
from switchboard.routing.adapters.changes import changes_since
from switchboard.routing.adapters.orm import AgentRow, CaseRow, PolicyDocumentRow
from switchboard.routing.adapters.revisions import wake_on_change
from switchboard.routing.domain.model import Presence
from switchboard.routing.service_layer import agents, work
from switchboard.routing.service_layer.offers import answers


@pytest.fixture
def wakes(desk) -> list[int]:
    """Each wake-up of the offer loop, counted."""
    woken: list[int] = []
    wake_on_change(desk.service.service.sessions, lambda: woken.append(1))
    return woken


async def revisions(desk) -> dict[str, int]:
    async with desk.service.service.sessions() as session:
        rows = [*await session.execute(select(AgentRow.id, AgentRow.revision))]
        rows += [*await session.execute(select(CaseRow.case_id, CaseRow.revision))]
    return dict(rows)


async def test_each_commit_stamps_what_it_changed_with_one_new_revision(desk):
    await desk.hire("a1", available=False)
    await desk.hire("a2", available=False)
    first = await revisions(desk)
    assert 0 < first["a1"] < first["a2"]

    await desk.do(agents.set_presence, agent_id="a1", presence=Presence.AVAILABLE)
    await desk.do(agents.set_presence, agent_id="a2", presence=Presence.OFFLINE)  # no change

    second = await revisions(desk)
    assert second["a1"] > first["a2"]
    assert second["a2"] == first["a2"]
    async with desk.service.service.sessions() as session:
        changes = await changes_since(session, first["a2"], wanted=lambda pool: True)
    assert [row.id for row in changes.agents] == ["a1"]


async def test_rows_flushed_before_the_commit_and_bulk_updates_are_stamped_too(desk, wakes):
    await desk.open_case("c1")
    await desk.open_case("c2")
    before = await revisions(desk)
    woken = len(wakes)

    async with desk.service.service.transaction() as uow:
        case = await uow.session.get(CaseRow, "c1")
        case.priority = 1
        await uow.session.flush()
        await uow.session.execute(update(CaseRow).where(CaseRow.case_id == "c2").values(priority=4))

    after = await revisions(desk)
    assert after["c1"] == after["c2"] > max(before.values())
    assert len(wakes) == woken + 1, "what a bulk update changed is not known: the loop looks"


async def test_the_loop_is_woken_when_work_for_it_was_committed_and_only_then(desk, wakes):
    await desk.hire("a", capacity={"chat": 2})
    assert len(wakes) == 2, "a new agent, then one available"
    await desk.cycle()
    assert len(wakes) == 2

    await desk.open_case("c1")  # offered at once, in its own transaction
    assert len(wakes) == 2, "nothing left waiting"
    await desk.do(answers.accept_offer, case_id="c1", agent_id="a")
    await desk.do(work.record_reply, case_id="c1", agent_id="a", message_id="m1")
    await desk.do(work.resolve_case, case_id="c1", agent_id="a", resolution_code="x", note=None)
    assert len(wakes) == 2, "accepting, replying and resolving free nothing"

    await desk.do(work.finish_wrap_up, case_id="c1", agent_id="a")
    assert len(wakes) == 3, "a slot given back"
    await desk.do(agents.set_presence, agent_id="a", presence=Presence.AWAY)
    await desk.open_case("c2")
    assert len(wakes) == 5, "a presence changed; a case left waiting"
    await desk.do(agents.set_presence, agent_id="a", presence=Presence.AVAILABLE)
    assert await desk.cycle() == 1
    assert len(wakes) == 6, "the loop's own offers wake nobody"


async def test_a_transaction_rolled_back_stamps_nothing_and_wakes_nobody(desk, wakes):
    await desk.hire("a", available=False)
    before = await revisions(desk)
    woken = len(wakes)

    with pytest.raises(RuntimeError):
        async with desk.service.service.transaction() as uow:
            await agents.set_presence(
                uow=uow, agent_id="a", presence=Presence.AVAILABLE, now=desk.clock.now
            )
            raise RuntimeError("changed my mind")

    assert await revisions(desk) == before
    assert len(wakes) == woken
    assert (await desk.agent("a")).presence == "offline"


async def test_the_policy_document_is_stamped_and_read_back_once(desk):
    await desk.store_policies({"policies": [{"name": "all", "fallback": "true"}]})
    async with desk.service.service.sessions() as session:
        row = await session.get(PolicyDocumentRow, 1)
        changes = await changes_since(session, row.revision - 1, wanted=lambda pool: True)
        assert changes.policy_document == {"policies": [{"name": "all", "fallback": "true"}]}
        later = await changes_since(session, row.revision, wanted=lambda pool: True)
        assert later.policy_document is None


async def test_waiting_cases_are_read_whole_in_slices(desk, monkeypatch):
    """A replica rebuilding its index reads every waiting case: more ids than one statement
    may carry (asyncpg: 32,767 parameters), so they are read in slices."""
    monkeypatch.setattr(changes_module, "CASES_PER_READ", 2)
    for number in range(5):
        await desk.open_case(f"c{number}")
    async with desk.service.service.sessions() as session:
        changes = await changes_since(session, 0, wanted=lambda pool: True)
    assert sorted(row.case_id for row in changes.cases) == [f"c{n}" for n in range(5)]
