"""A new case that a free agent can take is offered by the consumer's own transaction, not
by a later router cycle: with the router's loop stopped, it is still offered at once."""

from __future__ import annotations

import pytest

from switchboard.contracts.events import CaseOffered, CaseQueued
from switchboard.servicekit.testing.helpers import eventually

from .conftest import unique

pytestmark = pytest.mark.integration


async def test_a_case_is_offered_in_the_transaction_that_queues_it(stack, start_replica):
    replica = await start_replica(pool_sharding=False)  # about arrival, not about sharing
    router = replica.service.router
    agent_id = unique("agent")
    await replica.hire(agent_id, skills={"billing": 5})
    assert (await replica.presence(agent_id, "available")).status_code == 200

    async def indexed() -> bool:
        return agent_id in router.engine.agents

    assert await eventually(indexed, timeout=10)
    router.stop()  # from here on only the arrival path can offer

    async def stopped() -> bool:
        return not router.running

    assert await eventually(stopped, timeout=10)
    case_id = unique("case")
    await stack.open_case(case_id)
    events = await stack.assignment_events({case_id}, expect=2)
    assert [type(event) for event in events] == [CaseQueued, CaseOffered]
    assert events[1].agent_id == agent_id
    assert router.offers_committed == 1
