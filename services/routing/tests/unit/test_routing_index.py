"""The routing index on its own: which case goes to which agent, and why. What changes a
case's lifecycle is the service layer's (tests in ``test_*_lifecycle.py``); here records
arrive as the offer loop reads them from the rows."""

from dataclasses import replace
from datetime import timedelta

from switchboard.contracts.events.explanation import PassedOver
from switchboard.routing.adapters.contract_events import explanation_of
from switchboard.routing.domain.decisions import Trigger
from switchboard.routing.domain.model import Agent, Capacity, Channel, Presence
from switchboard.routing.domain.policy import policy_set_from_data
from switchboard.routing.domain.routing_index import RoutingIndex

from .builders import agent, at, item

TIERED = policy_set_from_data(
    {
        "policies": [
            {
                "name": "billing",
                "when": 'case.department == "billing"',
                "steps": [
                    {"requires": "billing >= 7 and language == case.language", "timeout": "30s"},
                    {"requires": "billing >= 3", "timeout_seconds": 60},
                ],
                "fallback": "true",
                "offer_timeout": "20s",
            }
        ]
    }
)


def freed(record: Agent, channel: Channel, *, now) -> Agent:
    """The agent's row once a slot of ``channel`` is given back, as the offer loop reads it."""
    return replace(record, load={**record.load, channel: record.load[channel] - 1}, idle_since=now)


def test_a_case_goes_to_the_longest_idle_qualified_agent_with_an_explanation():
    index = RoutingIndex(policies=TIERED)
    index.upsert_agent(agent("novice", skills={"billing": 2}, idle_since=at(-300)), now=at(0))
    index.upsert_agent(agent("fresh", skills={"billing": 9}, idle_since=at(-10)), now=at(0))
    index.upsert_agent(agent("veteran", skills={"billing": 8}, idle_since=at(-100)), now=at(0))

    [decision] = index.upsert_case(item("c1"), now=at(1))

    assert decision.agent_id == "veteran"
    assert decision.step == 0
    assert decision.trigger is Trigger.CASE_ARRIVED
    assert decision.offer_expires_at == at(21)
    explanation = explanation_of(decision)
    assert explanation.matched == ("billing >= 7", "language == case.language")
    assert explanation.runner_up.id == "fresh"
    assert explanation.passed_over == (PassedOver(agent_id="novice", failed=("billing >= 7",)),)


def test_a_case_filed_at_a_broader_step_finds_the_agent_the_first_step_left_out():
    index = RoutingIndex(policies=TIERED)
    index.upsert_agent(agent("mid", skills={"billing": 4}), now=at(0))
    assert index.upsert_case(item("c1", step_started_at=at(0)), now=at(0)) == []
    assert index.items["c1"].policy == "billing"

    moved_on = item("c1", policy="billing", step=1, step_started_at=at(30))
    [decision] = index.upsert_case(moved_on, now=at(30))

    assert (decision.agent_id, decision.step) == ("mid", 1)


def test_a_case_filed_late_is_filed_at_the_step_it_has_reached():
    index = RoutingIndex(policies=TIERED)
    index.upsert_case(item("c1", policy="billing", step_started_at=at(0)), now=at(500))
    assert index.items["c1"].step == 2
    assert index.items["c1"].step_started_at == at(90)


def test_a_freed_agent_takes_higher_priority_before_older_cases():
    index = RoutingIndex()
    index.upsert_case(item("old-low", priority=4, enqueued_at=at(0)), now=at(0))
    index.upsert_case(item("new-high", priority=2, enqueued_at=at(50)), now=at(50))
    index.upsert_case(item("older-high", priority=2, enqueued_at=at(10)), now=at(50))

    decisions = index.upsert_agent(agent("a"), now=at(60))

    assert [d.case_id for d in decisions] == ["older-high", "new-high", "old-low"]
    assert decisions[0].trigger is Trigger.AGENT_FREED
    assert decisions[0].runner_up.id == "new-high"
    assert "same priority" in decisions[0].runner_up.reason
    assert "priority 2 beats 4" in decisions[1].runner_up.reason


def test_a_phone_call_blocks_every_other_channel_until_its_slot_is_given_back():
    index = RoutingIndex()
    index.upsert_agent(agent("a"), now=at(0))
    assert [d.agent_id for d in index.upsert_case(item("call", channel=Channel.PHONE), now=at(1))]
    assert index.upsert_case(item("chat", channel=Channel.CHAT), now=at(2)) == []
    index.forget("call")  # read back offered, then accepted, resolved...

    [decision] = index.upsert_agent(freed(index.agents["a"], Channel.PHONE, now=at(5)), now=at(5))

    assert decision.case_id == "chat"
    more = [index.upsert_case(item(f"chat{n}"), now=at(6 + n)) for n in range(4)]
    assert sum(len(decisions) for decisions in more) == 2
    assert index.agents["a"].load == {Channel.PHONE: 0, Channel.CHAT: 3}


def test_an_agent_read_back_as_the_index_left_it_changes_nothing():
    index = RoutingIndex()
    index.upsert_agent(agent("a", idle_since=at(-5)), now=at(0))
    [decision] = index.upsert_case(item("c1"), now=at(1))
    record = index.agents["a"]
    read_back = replace(record, load=dict(record.load))

    assert index.upsert_agent(read_back, now=at(2)) == []
    assert index.agents["a"] is record
    assert decision.agent_id == "a"


def test_an_excluded_agent_is_never_offered_the_case():
    index = RoutingIndex()
    index.upsert_agent(agent("a", idle_since=at(-50)), now=at(0))
    declined = item("c1")
    declined.excluded_agents = frozenset({"a"})
    assert index.upsert_case(declined, now=at(1)) == []

    [decision] = index.upsert_agent(agent("b"), now=at(2))

    assert decision.agent_id == "b"


def test_an_agent_away_or_offline_is_offered_nothing():
    index = RoutingIndex()
    index.upsert_agent(agent("a", presence=Presence.AWAY), now=at(0))
    assert index.upsert_case(item("c1"), now=at(1)) == []
    assert index.upsert_agent(agent("a", presence=Presence.OFFLINE), now=at(2)) == []

    [decision] = index.upsert_agent(agent("a"), now=at(3))

    assert decision.case_id == "c1"


def test_the_preferred_agent_gets_the_case_until_the_preference_expires():
    index = RoutingIndex()
    index.upsert_agent(agent("stranger", idle_since=at(-99)), now=at(0))
    preferring = item("c1", preferred_agent="last", preferred_until=at(60))
    assert index.upsert_case(preferring, now=at(0)) == []

    [decision] = index.upsert_agent(agent("last"), now=at(10))

    assert decision.agent_id == "last"
    assert decision.step == -1
    wire = explanation_of(decision)
    assert wire.step_name == "preferred agent"
    assert wire.runner_up.won_by.value == "preferred_agent"


def test_an_expired_preference_opens_the_case_to_everyone():
    index = RoutingIndex()
    index.upsert_agent(agent("stranger"), now=at(0))
    index.upsert_case(item("c1", preferred_agent="last", preferred_until=at(60)), now=at(0))

    reviewed = item("c1", policy="default", preferred_agent="last", preferred_until=at(60))
    [decision] = index.upsert_case(reviewed, now=at(60))

    assert decision.agent_id == "stranger"


def test_a_transferred_case_keeps_its_age_in_its_new_queue():
    index = RoutingIndex()
    index.upsert_case(item("older", pool="dach", enqueued_at=at(100)), now=at(100))
    moved = item("c1", pool="dach", department="tech", enqueued_at=at(0))
    moved.excluded_agents = frozenset({"a"})
    index.upsert_case(moved, now=at(200))

    assert index.queue_position("c1") == 0
    assert index.queue_position("older") == 1
    first, second = index.upsert_agent(agent("b", pools=("dach",)), now=at(201))
    assert (first.case_id, second.case_id) == ("c1", "older")


def test_queue_position_and_estimated_wait_follow_the_pace_of_offers():
    index = RoutingIndex()
    for n in range(6):
        index.upsert_case(item(f"c{n}", enqueued_at=at(n)), now=at(n))
    assert [index.queue_position(f"c{n}") for n in range(6)] == [0, 1, 2, 3, 4, 5]
    assert index.estimated_wait("c5") is None

    assert len(index.upsert_agent(agent("a"), now=at(10))) == 3
    for moment in (20, 30):
        index.upsert_agent(freed(index.agents["a"], Channel.CHAT, now=at(moment)), now=at(moment))

    assert index.queue_position("c5") == 0
    assert index.estimated_wait("c5") == timedelta(seconds=5)
    assert index.queue_position("c0") is None


def test_a_refused_proposal_is_forgotten_and_both_rows_read_again():
    index = RoutingIndex()
    index.upsert_agent(agent("a", idle_since=at(-9)), now=at(0))
    index.upsert_agent(agent("b", idle_since=at(-5)), now=at(0))
    [refused] = index.upsert_case(item("c1"), now=at(0))
    assert refused.agent_id == "a"

    index.forget("c1")
    away = agent("a", idle_since=at(-9), presence=Presence.AWAY)  # why the rows refused
    assert index.upsert_agent(away, now=at(1)) == []
    [again] = index.upsert_case(item("c1"), now=at(1))

    assert again.agent_id == "b"
    assert index.agents["a"].load == {}


def test_an_agent_whose_proposal_was_refused_is_offered_what_waited_meanwhile():
    index = RoutingIndex()
    index.upsert_agent(agent("a", idle_since=at(-9)), now=at(0))
    index.agents["a"].capacity = Capacity(limits={Channel.CHAT: 1})
    [refused] = index.upsert_case(item("c1"), now=at(0))  # taken by another replica first
    assert index.upsert_case(item("c2"), now=at(1)) == [], "a is full, as far as it knows"

    index.forget("c1")
    [decision] = index.upsert_agent(replace(index.agents["a"], load={}), now=at(2))

    assert (refused.case_id, decision.case_id) == ("c1", "c2")


def test_a_slot_the_rows_give_back_is_offered_what_waits():
    index = RoutingIndex()
    index.upsert_agent(agent("a"), now=at(0))
    for n in range(4):
        index.upsert_case(
            item(f"c{n}", channel=Channel.EMAIL if n == 3 else Channel.CHAT), now=at(n)
        )
    assert index.agents["a"].load == {Channel.CHAT: 3, Channel.EMAIL: 1}
    index.forget("c0")
    index.upsert_case(item("c4"), now=at(5))

    [decision] = index.upsert_agent(freed(index.agents["a"], Channel.CHAT, now=at(6)), now=at(6))

    assert (decision.case_id, decision.trigger) == ("c4", Trigger.AGENT_FREED)
    quieter = replace(index.agents["a"], load=dict(index.agents["a"].load), idle_since=at(7))
    assert index.upsert_agent(quieter, now=at(7)) == [], "no slot opened: nothing to look at"


def test_a_profile_change_is_learnt_and_the_agent_served_at_once():
    index = RoutingIndex(policies=TIERED)
    index.upsert_agent(agent("a", skills={"billing": 1}), now=at(0))
    assert index.upsert_case(item("c1", step_started_at=at(0)), now=at(0)) == []

    [decision] = index.upsert_agent(agent("a", skills={"billing": 9}), now=at(1))

    assert decision.case_id == "c1"
