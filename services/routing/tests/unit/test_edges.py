"""The pure helpers at the service's edges: policy file, who may do what, explanations."""

from datetime import timedelta
from pathlib import Path

import pytest

from switchboard.contracts.events.explanation import WonBy
from switchboard.routing.adapters.contract_events import explanation_of
from switchboard.routing.adapters.policy_file import read_policy_file
from switchboard.routing.domain.policy import PolicyError, policy_set_from_data
from switchboard.routing.domain.routing_index import RoutingIndex
from switchboard.routing.entrypoints.access import acting_agent, agent_acting, may_read
from switchboard.servicekit.auth import Principal, Role
from switchboard.servicekit.http import Problem
from switchboard.servicekit.service.dependencies import require_admin

from .builders import agent, at, item

ROOT = Path(__file__).parents[4]


def test_the_policy_file_is_validated_when_read(tmp_path: Path):
    good = tmp_path / "good.yaml"
    good.write_text("policies:\n  - name: all\n    fallback: 'true'\n")
    assert read_policy_file(good) == {"policies": [{"name": "all", "fallback": "true"}]}
    bad = tmp_path / "bad.yaml"
    bad.write_text("policies:\n  - name: all\n    fallback: 'billing >'\n")
    with pytest.raises(PolicyError, match="column 10"):
        read_policy_file(bad)


async def test_agents_act_and_read_for_themselves_admins_for_anyone():
    agent = Principal("agent-7", Role.AGENT, frozenset({"nordics"}))
    acting_agent(agent, "agent-7")
    assert agent_acting(agent, None) == "agent-7"
    assert may_read(agent, owner="agent-7")
    assert not may_read(agent, owner="agent-8", region="nordics")
    with pytest.raises(Problem) as refused:
        acting_agent(agent, "agent-8")
    assert refused.value.status == 403
    admin = Principal("root", Role.ADMIN)
    acting_agent(admin, "agent-8")
    assert agent_acting(admin, "agent-8") == "agent-8"
    await require_admin(admin)
    assert may_read(admin, owner=None)


async def test_coordinators_read_their_regions_but_act_only_for_themselves():
    greta = Principal("greta", Role.COORDINATOR, frozenset({"dach"}))
    assert may_read(greta, owner="agent-7", region="dach")
    assert not may_read(greta, owner="agent-7", region="nordics")
    assert not may_read(greta, owner="agent-7")
    with pytest.raises(Problem):
        acting_agent(greta, "agent-7")
    with pytest.raises(Problem):
        await require_admin(greta)


def test_a_decision_becomes_a_wire_explanation():
    index = RoutingIndex()
    index.upsert_agent(agent("a", idle_since=at(-20)), now=at(0))
    index.upsert_agent(agent("b", idle_since=at(-10)), now=at(0))
    [decision] = index.upsert_case(item("c1"), now=at(0))
    wire = explanation_of(decision)
    assert wire.runner_up.won_by is WonBy.IDLE
    assert wire.runner_up.id == "b"
    assert wire.step_index == 0
    assert decision.offer_expires_at - decision.decided_at == timedelta(seconds=30)


def test_a_preferred_agent_decision_says_so():
    index = RoutingIndex()
    index.upsert_agent(agent("last"), now=at(0))
    preferring = item("c1", preferred_agent="last", preferred_until=at(60))
    wire = explanation_of(index.upsert_case(preferring, now=at(1))[0])
    assert wire.step_name == "preferred agent"
    assert wire.runner_up.won_by is WonBy.PREFERRED_AGENT


@pytest.mark.parametrize(
    ("shipped", "names"),
    [
        ("services/routing/config/policies.yaml", ["urgent-phone", "billing", "everything-else"]),
        (
            "deploy/demo/routing-policies.yaml",
            ["undetermined-language", "billing", "urgent-phone", "everything-else"],
        ),
    ],
)
def test_the_shipped_policy_files_are_valid_and_spell_durations_the_one_way(shipped, names):
    document = read_policy_file(ROOT / shipped)
    assert [entry["name"] for entry in document["policies"]] == names
    text = (ROOT / shipped).read_text()
    assert "_seconds" not in text
    policies = policy_set_from_data(document)
    assert all(
        step.timeout is None or step.timeout >= timedelta(seconds=10)
        for policy in policies.policies
        for step in policy.steps
    )
