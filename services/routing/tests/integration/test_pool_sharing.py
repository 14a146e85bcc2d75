"""Live replicas share out the pools: each case is offered by the replica that owns its
pool, and when a replica stops, the others take its pools over within a few beats."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from switchboard.contracts.events import CaseOffered
from switchboard.routing.adapters.orm import OfferRow
from switchboard.routing.domain.model import Presence
from switchboard.routing.domain.ownership import owner_of
from switchboard.servicekit.testing.helpers import eventually

from .conftest import unique

pytestmark = pytest.mark.integration
A, B = "routing-a", "routing-b"


def regions_held_by_both(count: int = 3) -> dict[str, list[str]]:
    """Region names until each replica owns ``count`` of them."""
    held: dict[str, list[str]] = {A: [], B: []}
    n = 0
    while min(len(regions) for regions in held.values()) < count:
        region = f"region-{n}"
        owner = owner_of(region, {A, B})
        if len(held[owner]) < count:
            held[owner].append(region)
        n += 1
    return held


async def offers_by_case(replica, case_ids: set[str]) -> dict[str, str]:
    async with replica.service.sessions() as session:
        rows = await session.execute(
            select(OfferRow.case_id, OfferRow.replica).where(OfferRow.case_id.in_(case_ids))
        )
        return {case_id: replica for case_id, replica in rows}


async def test_each_replica_offers_the_cases_of_its_pools_and_takes_over_when_one_stops(
    stack, start_replica
):
    first, second = await start_replica(A), await start_replica(B)

    async def both_see_each_other() -> bool:
        return all(r.offer_loop.ownership.replicas == {A, B} for r in (first, second))

    assert await eventually(both_see_each_other, timeout=10)
    held = regions_held_by_both()
    for region in held[A] + held[B]:
        agent_id = unique(f"agent-{region}")
        await first.hire(agent_id, region=region, capacity={"chat": 5})
        assert (await first.presence(agent_id, "available")).status_code == 200

    cases = {unique("case"): region for region in held[A] + held[B] for _ in range(2)}
    for case_id, region in cases.items():
        await stack.open_case(case_id, region=region)
    offered = {
        event.case_id
        for event in await stack.assignment_events(set(cases), expect=len(cases) * 2)
        if isinstance(event, CaseOffered)
    }
    assert offered == set(cases)
    by = await offers_by_case(first, set(cases))
    assert {case_id: by[case_id] for case_id in cases} == {
        case_id: owner_of(region, {A, B}) for case_id, region in cases.items()
    }
    assert first.offer_loop.conflicts == second.offer_loop.conflicts == 0

    # A pool without agents: both replicas tell a waiting case's place in the queue,
    # the owner from its index, the other from the database.
    empty = "region-without-agents"
    owner, other = (first, second) if owner_of(empty, {A, B}) == A else (second, first)
    waiting = [unique("waiting") for _ in range(3)]
    for case_id in waiting:
        await stack.open_case(case_id, region=empty)

    async def places() -> list[int | None] | None:
        answers = []
        for replica in (owner, other):
            response = await replica.client.get(f"/v1/cases/{waiting[-1]}", headers=replica.admin)
            answers.append(response.json().get("queue_position"))
        return answers if None not in answers else None

    assert await eventually(places, timeout=10) == [2, 2]

    stack.replicas.remove(second)
    await second.client.aclose()
    await second.service.runtime.stop()

    async def first_alone() -> bool:
        return first.offer_loop.ownership.replicas == {A}

    assert await eventually(first_alone, timeout=10)
    later = {unique("late"): region for region in held[B]}
    for case_id, region in later.items():
        await stack.open_case(case_id, region=region)

    async def all_offered() -> dict[str, str] | None:
        found = await offers_by_case(first, set(later))
        return found if len(found) == len(later) else None

    assert await eventually(all_offered, timeout=60) == {case_id: A for case_id in later}


async def test_a_case_queued_by_another_replica_wakes_its_pools_owner_at_once(stack, start_replica):
    first, second = await start_replica(A), await start_replica(B)

    async def both_see_each_other() -> bool:
        return all(r.offer_loop.ownership.replicas == {A, B} for r in (first, second))

    assert await eventually(both_see_each_other, timeout=10)
    held = regions_held_by_both(count=2)
    agents = {}
    for region in held[A] + held[B]:
        agents[region] = unique(f"agent-{region}")
        await first.hire(agents[region], region=region, capacity={"chat": 20})
        assert (await first.presence(agents[region], "available")).status_code == 200

    async def agents_indexed_available_by_their_owners() -> bool:
        loops = {A: first.offer_loop, B: second.offer_loop}
        indexed = [
            loops[owner].index.agents.get(agents[region])
            for owner, regions in held.items()
            for region in regions
        ]
        return all(each is not None and each.presence is Presence.AVAILABLE for each in indexed)

    assert await eventually(agents_indexed_available_by_their_owners, timeout=10)
    for replica in (first, second):
        replica.offer_loop.sync_seconds = 120.0  # from here on only notices wake a loop

    cases = {unique("case"): region for region in held[A] + held[B] for _ in range(5)}
    for case_id, region in cases.items():
        await stack.open_case(case_id, region=region)

    async def all_offered() -> bool:
        events = await stack.assignment_events(set(cases), expect=0)
        return {e.case_id for e in events if isinstance(e, CaseOffered)} == set(cases)

    assert await eventually(all_offered, timeout=15), "offered long before the next timed sync"
    notices = first.offer_loop.notices_for_me + second.offer_loop.notices_for_me
    assert notices > 0, "some cases reached the consumer of the replica not owning their pool"
