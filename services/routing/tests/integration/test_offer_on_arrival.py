"""A new case that a free agent can take is offered by the consumer's own transaction, not
by a later cycle of the offer loop: with the loop stopped, it is still offered at once."""

from __future__ import annotations

import pytest

from switchboard.contracts.events import CaseOffered, CaseQueued
from switchboard.routing.domain.model import Presence
from switchboard.servicekit.testing.helpers import eventually

from .conftest import unique

pytestmark = pytest.mark.integration


async def test_a_case_is_offered_in_the_transaction_that_queues_it(stack, start_replica):
    replica = await start_replica(pool_sharding=False)  # about arrival, not about sharing
    offer_loop = replica.offer_loop
    agent_id = unique("agent")
    await replica.hire(agent_id, skills={"billing": 5})
    assert (await replica.presence(agent_id, "available")).status_code == 200

    async def indexed_available() -> bool:
        indexed = offer_loop.index.agents.get(agent_id)
        return indexed is not None and indexed.presence is Presence.AVAILABLE

    assert await eventually(indexed_available, timeout=10)
    offer_loop.stop()  # from here on only the arrival path can offer

    async def stopped() -> bool:
        return not offer_loop.running

    assert await eventually(stopped, timeout=10)
    case_id = unique("case")
    await stack.open_case(case_id)
    events = await stack.assignment_events({case_id}, expect=2)
    assert [type(event) for event in events] == [CaseQueued, CaseOffered]
    assert events[1].agent_id == agent_id
    assert offer_loop.offers_committed == 1
