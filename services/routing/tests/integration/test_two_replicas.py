"""Two routing replicas on one database and one consumer group, a few hundred cases, agents
flipping presence at random: no case is assigned twice and no agent exceeds capacity."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, defaultdict

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from switchboard.contracts.events import CaseAssigned
from switchboard.routing.adapters.orm import AgentRow, CaseRow, OfferRow
from switchboard.routing.adapters.records import capacity_of, channel_counts
from switchboard.routing.domain.model import Channel

from .conftest import unique

pytestmark = pytest.mark.integration
CASES = 300
AGENTS = 16
HELD = ("offered", "assigned", "wrap_up")


async def check_snapshot(engine) -> tuple[int, list[str]]:
    """One consistent snapshot: loads equal the work held and stay within capacity."""
    problems: list[str] = []
    async with engine.connect() as connection:
        connection = await connection.execution_options(isolation_level="REPEATABLE READ")
        async with connection.begin():
            agents = (await connection.execute(select(AgentRow.__table__))).mappings().all()
            cases = (await connection.execute(select(CaseRow.__table__))).mappings().all()
            offers = (await connection.execute(select(OfferRow.__table__))).mappings().all()
    held: dict[str, Counter] = defaultdict(Counter)
    for case in cases:
        if case["state"] in HELD:
            held[case["agent_id"]][case["channel"]] += 1
    for agent in agents:
        load = {channel: count for channel, count in agent["load"].items() if count}
        if load != dict(held[agent["id"]]):
            problems.append(f"{agent['id']} load {load} but holds {dict(held[agent['id']])}")
        row = AgentRow(capacity=agent["capacity"])
        if not capacity_of(row).within(channel_counts(agent["load"])):
            problems.append(f"{agent['id']} over capacity: {agent['load']} > {agent['capacity']}")
    live = Counter(
        offer["case_id"] for offer in offers if offer["state"] in ("pending", "accepted")
    )
    problems += [f"case {case_id} has {n} live offers" for case_id, n in live.items() if n > 1]
    done = sum(1 for case in cases if case["state"] == "done")
    return done, problems


@pytest.mark.timeout(600)
async def test_two_replicas_never_double_assign_nor_overfill(stack, start_replica):
    began = time.monotonic()
    rng = random.Random(20261124)
    # Both replicas index every pool: only the compare-and-set keeps them apart.
    first = await start_replica("routing-a", pool_sharding=False)
    second = await start_replica("routing-b", pool_sharding=False)
    replicas = [first, second]
    agents = [unique(f"agent{n}") for n in range(AGENTS)]
    for agent_id in agents:
        capacity = {"phone": 1, "chat": rng.randint(1, 3), "email": rng.randint(1, 3)}
        await rng.choice(replicas).hire(agent_id, capacity=capacity)
        assert (await rng.choice(replicas).presence(agent_id, "available")).status_code == 200
    case_ids = [unique("case") for _ in range(CASES)]
    for case_id in case_ids:
        await stack.open_case(
            case_id,
            channel=rng.choice(["chat", "chat", "email", "phone"]),
            priority=rng.randint(1, 4),
        )

    engine = create_async_engine(stack.database_url)
    stop = asyncio.Event()
    unexpected: list[str] = []
    flips = Counter()

    async def work_as(agent_id: str) -> None:
        agent_rng = random.Random(agent_id)
        while not stop.is_set():
            replica = agent_rng.choice(replicas)
            if agent_rng.random() < 0.08:
                presence = agent_rng.choice(["away", "busy", "offline"])
                await replica.presence(agent_id, presence)
                flips[presence] += 1
                await asyncio.sleep(agent_rng.uniform(0.05, 0.3))
                await agent_rng.choice(replicas).presence(agent_id, "available")
                continue
            held = await replica.work(agent_id)
            for case in held:
                action, body = {
                    "offered": ("accept", None),
                    "assigned": ("resolve", {"resolution_code": "done"}),
                    "wrap_up": ("wrap-up/finish", None),
                }[case["state"]]
                if case["state"] == "offered" and agent_rng.random() < 0.1:
                    action, body = "decline", {"reason": "not now"}
                response = await agent_rng.choice(replicas).act(
                    agent_id, case["case_id"], action, body
                )
                if response.status_code not in (200, 404, 409):
                    unexpected.append(f"{action} {response.status_code} {response.text}")
            # Poll briskly while holding work, gently while idle: the replicas need the CPU.
            await asyncio.sleep(
                agent_rng.uniform(0.02, 0.08) if held else agent_rng.uniform(0.2, 0.4)
            )

    async def sample() -> list[str]:
        seen: list[str] = []
        while not stop.is_set():
            done, problems = await check_snapshot(engine)
            seen += problems
            if done == CASES:
                stop.set()
            await asyncio.sleep(0.25)
        return seen

    workers = [asyncio.create_task(work_as(agent_id)) for agent_id in agents]
    sampler = asyncio.create_task(sample())
    try:
        problems = await asyncio.wait_for(sampler, timeout=480)
    finally:
        stop.set()
        await asyncio.gather(*workers, return_exceptions=True)

    done, final_problems = await check_snapshot(engine)
    async with engine.connect() as connection:
        accepted = Counter(
            row.case_id
            for row in await connection.execute(
                select(OfferRow.case_id).where(OfferRow.state == "accepted")
            )
        )
        by_replica = Counter(
            row.replica for row in await connection.execute(select(OfferRow.replica))
        )
        declined = (
            await connection.execute(
                text("SELECT count(*) FROM routing_offers WHERE state = 'declined'")
            )
        ).scalar_one()
    await engine.dispose()
    elapsed = time.monotonic() - began
    conflicts = [replica.offer_loop.conflicts for replica in replicas]
    print(
        f"{CASES} cases done in {elapsed:.1f}s; offers by replica {dict(by_replica)}, "
        f"declined {declined}, presence flips {dict(flips)}, conflicts {conflicts}"
    )
    assert problems == []
    assert final_problems == []
    assert unexpected == []
    assert done == CASES
    assert set(accepted) == set(case_ids)
    assert max(accepted.values()) == 1
    assert set(by_replica) == {"routing-a", "routing-b"}
    assigned = Counter(
        event.case_id
        for event in await stack.assignment_events(set(case_ids), expect=CASES * 4)
        if isinstance(event, CaseAssigned)
    )
    assert assigned == Counter({case_id: 1 for case_id in case_ids})
    assert flips["offline"] > 0
    assert Channel.PHONE.value == "phone"
