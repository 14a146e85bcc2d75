"""The pure helpers at the service's edges: policy file, who may do what, explanations."""

from datetime import timedelta
from pathlib import Path

import pytest

from switchboard.contracts.events.explanation import WonBy
from switchboard.routing.adapters.publishing import explanation_of
from switchboard.routing.bootstrap import read_policy_file
from switchboard.routing.domain.engine import RoutingEngine
from switchboard.routing.domain.policy import PolicyError
from switchboard.routing.entrypoints.auth import acting_agent, may_read, require_admin
from switchboard.servicekit.auth import Principal, Role
from switchboard.servicekit.http import Problem

from .builders import agent, at, item


def test_the_policy_file_is_validated_when_read(tmp_path: Path):
    good = tmp_path / "good.yaml"
    good.write_text("policies:\n  - name: all\n    fallback: 'true'\n")
    assert read_policy_file(good) == {"policies": [{"name": "all", "fallback": "true"}]}
    bad = tmp_path / "bad.yaml"
    bad.write_text("policies:\n  - name: all\n    fallback: 'billing >'\n")
    with pytest.raises(PolicyError, match="column 10"):
        read_policy_file(bad)


def test_agents_act_and_read_for_themselves_admins_for_anyone():
    agent = Principal("agent-7", Role.AGENT, frozenset({"nordics"}))
    acting_agent(agent, "agent-7")
    assert may_read(agent, owner="agent-7")
    assert not may_read(agent, owner="agent-8", region="nordics")
    with pytest.raises(Problem) as refused:
        acting_agent(agent, "agent-8")
    assert refused.value.status == 403
    admin = Principal("root", Role.ADMIN)
    acting_agent(admin, "agent-8")
    require_admin(admin)
    assert may_read(admin, owner=None)


def test_coordinators_read_their_regions_but_act_only_for_themselves():
    greta = Principal("greta", Role.COORDINATOR, frozenset({"dach"}))
    assert may_read(greta, owner="agent-7", region="dach")
    assert not may_read(greta, owner="agent-7", region="nordics")
    assert not may_read(greta, owner="agent-7")
    for refused in (lambda: acting_agent(greta, "agent-7"), lambda: require_admin(greta)):
        with pytest.raises(Problem):
            refused()


def test_a_decision_becomes_a_wire_explanation():
    engine = RoutingEngine()
    engine.upsert_agent(agent("a", idle_since=at(-20)), now=at(0))
    engine.upsert_agent(agent("b", idle_since=at(-10)), now=at(0))
    [decision] = engine.enqueue(item("c1"), now=at(0)).decisions
    wire = explanation_of(decision)
    assert wire.runner_up.won_by is WonBy.IDLE
    assert wire.runner_up.id == "b"
    assert wire.step_index == 0
    assert decision.offer_expires_at - decision.decided_at == timedelta(seconds=30)


def test_a_preferred_agent_decision_says_so():
    engine = RoutingEngine()
    engine.upsert_agent(agent("last"), now=at(0))
    outcome = engine.enqueue(item("c1", preferred_agent="last", preferred_until=at(60)), now=at(1))
    wire = explanation_of(outcome.decisions[0])
    assert wire.step_name == "preferred agent"
    assert wire.runner_up.won_by is WonBy.PREFERRED_AGENT


def test_the_shipped_policy_file_is_valid():
    shipped = Path(__file__).parents[2] / "config" / "policies.yaml"
    names = [entry["name"] for entry in read_policy_file(shipped)["policies"]]
    assert names == ["urgent-phone", "billing", "everything-else"]
