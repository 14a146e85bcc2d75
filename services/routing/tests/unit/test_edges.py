"""The pure helpers at the service's edges: policy file, tokens, explanations."""

from datetime import timedelta
from pathlib import Path

import jwt
import pytest

from switchboard.contracts.events.explanation import WonBy
from switchboard.routing.adapters.publishing import explanation_of
from switchboard.routing.bootstrap import read_policy_file
from switchboard.routing.domain.engine import RoutingEngine
from switchboard.routing.domain.policy import PolicyError
from switchboard.routing.entrypoints.auth import issue_token

from .builders import agent, at, item


def test_the_policy_file_is_validated_when_read(tmp_path: Path):
    good = tmp_path / "good.yaml"
    good.write_text("policies:\n  - name: all\n    fallback: 'true'\n")
    assert read_policy_file(good) == {"policies": [{"name": "all", "fallback": "true"}]}
    bad = tmp_path / "bad.yaml"
    bad.write_text("policies:\n  - name: all\n    fallback: 'billing >'\n")
    with pytest.raises(PolicyError, match="column 10"):
        read_policy_file(bad)


def test_tokens_carry_subject_role_and_audience():
    token = issue_token(secret="s" * 32, subject="agent-7", role="agent")
    claims = jwt.decode(token, "s" * 32, algorithms=["HS256"], audience="switchboard")
    assert (claims["sub"], claims["role"]) == ("agent-7", "agent")


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
