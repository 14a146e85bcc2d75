"""The agent directory and presence, on the real use cases in-process."""

from __future__ import annotations

from switchboard.contracts.events import AgentStatusChanged
from switchboard.routing.domain.model import Presence
from switchboard.routing.service_layer import agents


async def test_a_new_agent_is_announced_offline_and_a_profile_change_keeps_presence_and_load(
    desk,
):
    await desk.hire("a", region="nordics", skills={"billing": 3})
    await desk.cycle()
    await desk.open_case("c1")

    await desk.hire("a", region="nordics", team="red", pools=["nordics", "dach"], available=False)

    statuses = await desk.service.published(AgentStatusChanged)
    assert [(s.presence.value, s.reason) for s in statuses] == [
        ("offline", "agent created"),
        ("available", None),
        ("available", "load changed"),
    ]
    row = await desk.agent("a")
    assert (row.presence, row.load["chat"], row.team) == ("available", 1, "red")
    assert (row.pools, row.skills) == (["nordics", "dach"], {})


async def test_an_agent_without_pools_routes_its_region(desk):
    row = await desk.do(
        agents.save_agent, agent_id="a", profile={"region": "dach", "capacity": {"chat": 2}}
    )
    assert (row.pools, row.presence) == (["dach"], "offline")


async def test_presence_is_announced_only_when_it_changes_and_available_restarts_idle_time(desk):
    await desk.hire("a", available=False)
    await desk.do(agents.set_presence, agent_id="a", presence=Presence.OFFLINE)
    desk.clock.advance(30)
    row = await desk.do(agents.set_presence, agent_id="a", presence=Presence.AVAILABLE)

    assert row.idle_since == desk.clock.now
    statuses = await desk.service.published(AgentStatusChanged)
    assert [(s.previous_presence, s.presence.value) for s in statuses][1:] == [
        ("offline", "available")
    ]
    assert statuses[-1].by.id == "a"
