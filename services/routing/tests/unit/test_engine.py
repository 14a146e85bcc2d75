from datetime import timedelta

import pytest

from switchboard.routing.domain.decisions import Trigger
from switchboard.routing.domain.engine import RoutingEngine
from switchboard.routing.domain.errors import UnknownCase, WrongState
from switchboard.routing.domain.model import Channel, ItemState, Presence
from switchboard.routing.domain.policy import policy_set_from_data

from .builders import agent, at, item

TIERED = policy_set_from_data(
    {
        "policies": [
            {
                "name": "billing",
                "when": 'case.department == "billing"',
                "steps": [
                    {
                        "requires": "billing >= 7 and language == case.language",
                        "timeout_seconds": 30,
                    },
                    {"requires": "billing >= 3", "timeout_seconds": 60},
                ],
                "fallback": "true",
                "offer_timeout_seconds": 20,
            }
        ]
    }
)


def test_a_case_goes_to_the_longest_idle_qualified_agent_with_an_explanation():
    engine = RoutingEngine(policies=TIERED)
    engine.upsert_agent(agent("novice", skills={"billing": 2}, idle_since=at(-300)), now=at(0))
    engine.upsert_agent(agent("fresh", skills={"billing": 9}, idle_since=at(-10)), now=at(0))
    engine.upsert_agent(agent("veteran", skills={"billing": 8}, idle_since=at(-100)), now=at(0))

    outcome = engine.enqueue(item("c1"), now=at(1))

    [decision] = outcome.decisions
    assert decision.agent_id == "veteran"
    assert decision.step == 0
    assert decision.trigger is Trigger.CASE_ARRIVED
    assert decision.offer_expires_at == at(21)
    explanation = decision.explanation()
    assert explanation["matched"] == ["billing >= 7", "language == case.language"]
    assert explanation["runner_up"]["id"] == "fresh"
    assert explanation["passed_over"] == [{"agent_id": "novice", "failed": ["billing >= 7"]}]


def test_the_next_broader_step_applies_after_the_timeout():
    engine = RoutingEngine(policies=TIERED)
    engine.upsert_agent(agent("mid", skills={"billing": 4}), now=at(0))
    assert engine.enqueue(item("c1"), now=at(0)).decisions == []
    assert engine.next_review_at("c1") == at(30)

    assert engine.review("c1", now=at(29)).decisions == []
    [decision] = engine.review("c1", now=at(30)).decisions

    assert (decision.agent_id, decision.step) == ("mid", 1)
    assert engine.items["c1"].step_started_at == at(30)


def test_a_late_review_skips_every_step_already_due():
    engine = RoutingEngine(policies=TIERED)
    engine.enqueue(item("c1"), now=at(0))
    engine.review("c1", now=at(500))
    assert engine.items["c1"].step == 2
    assert engine.next_review_at("c1") is None


def test_a_freed_agent_takes_higher_priority_before_older_cases():
    engine = RoutingEngine()
    engine.enqueue(item("old-low", priority=4, enqueued_at=at(0)), now=at(0))
    engine.enqueue(item("new-high", priority=2, enqueued_at=at(50)), now=at(50))
    engine.enqueue(item("older-high", priority=2, enqueued_at=at(10)), now=at(50))

    outcome = engine.upsert_agent(agent("a"), now=at(60))

    assert [d.case_id for d in outcome.decisions] == ["older-high", "new-high", "old-low"]
    assert outcome.decisions[0].runner_up.id == "new-high"
    assert "same priority" in outcome.decisions[0].runner_up.reason
    assert "priority 2 beats 4" in outcome.decisions[1].runner_up.reason


def test_voice_blocks_every_other_channel_and_capacity_is_never_exceeded():
    engine = RoutingEngine()
    engine.upsert_agent(agent("a"), now=at(0))
    call = engine.enqueue(item("call", channel=Channel.PHONE), now=at(1))
    assert [d.agent_id for d in call.decisions] == ["a"]
    assert engine.enqueue(item("chat", channel=Channel.CHAT), now=at(2)).decisions == []

    engine.accept("call", "a", now=at(3))
    engine.resolve("call", "a", now=at(4))
    assert engine.items["chat"].state is ItemState.WAITING, "wrap-up still holds the slot"

    freed = engine.finish_wrap_up("call", "a", now=at(5))
    assert [d.case_id for d in freed.decisions] == ["chat"]
    more = [engine.enqueue(item(f"chat{n}"), now=at(6 + n)) for n in range(4)]
    assert sum(len(o.decisions) for o in more) == 2
    assert engine.agents["a"].load == {Channel.PHONE: 0, Channel.CHAT: 3}


def test_a_declined_case_is_never_offered_to_that_agent_again():
    engine = RoutingEngine()
    engine.upsert_agent(agent("a", idle_since=at(-50)), now=at(0))
    engine.enqueue(item("c1"), now=at(0))

    outcome = engine.decline("c1", "a", now=at(1))

    assert outcome.requeued == ["c1"]
    assert outcome.decisions == []
    assert engine.items["c1"].state is ItemState.WAITING
    [decision] = engine.upsert_agent(agent("b"), now=at(2)).decisions
    assert decision.agent_id == "b"


def test_an_expired_offer_requeues_the_case_and_sets_the_agent_away():
    engine = RoutingEngine()
    engine.upsert_agent(agent("sleepy", idle_since=at(-50)), now=at(0))
    engine.upsert_agent(agent("busy-one", idle_since=at(-10)), now=at(0))
    engine.enqueue(item("c1"), now=at(0))

    outcome = engine.expire_offer("c1", "sleepy", now=at(30))

    assert outcome.set_away == ["sleepy"]
    assert engine.agents["sleepy"].presence is Presence.AWAY
    assert [d.agent_id for d in outcome.decisions] == ["busy-one"]
    assert engine.expire_offer("c1", "sleepy", now=at(31)).decisions == [], "timer fires once"


def test_going_offline_returns_unaccepted_offers_but_keeps_accepted_work():
    engine = RoutingEngine()
    engine.upsert_agent(agent("a"), now=at(0))
    engine.enqueue(item("accepted"), now=at(1))
    engine.enqueue(item("pending"), now=at(2))
    engine.accept("accepted", "a", now=at(3))

    outcome = engine.set_presence("a", Presence.OFFLINE, now=at(4))

    assert outcome.requeued == ["pending"]
    assert engine.items["pending"].state is ItemState.WAITING
    assert engine.items["accepted"].state is ItemState.ASSIGNED
    assert engine.agents["a"].load[Channel.CHAT] == 1


def test_the_preferred_agent_gets_the_case_until_the_preference_expires():
    engine = RoutingEngine()
    engine.upsert_agent(agent("stranger", idle_since=at(-99)), now=at(0))
    waiting = engine.enqueue(item("c1", preferred_agent="last", preferred_until=at(60)), now=at(0))
    assert waiting.decisions == []
    assert engine.next_review_at("c1") == at(60)

    [decision] = engine.upsert_agent(agent("last"), now=at(10)).decisions
    assert decision.agent_id == "last"
    assert decision.step == -1


def test_an_expired_preference_opens_the_case_to_everyone():
    engine = RoutingEngine()
    engine.upsert_agent(agent("stranger"), now=at(0))
    engine.enqueue(item("c1", preferred_agent="last", preferred_until=at(60)), now=at(0))
    [decision] = engine.review("c1", now=at(60)).decisions
    assert decision.agent_id == "stranger"


def test_a_transfer_keeps_the_cases_age_and_excludes_the_sender():
    engine = RoutingEngine()
    engine.enqueue(item("older", pool="dach", enqueued_at=at(100)), now=at(100))
    engine.upsert_agent(agent("a"), now=at(0))
    engine.enqueue(item("c1", enqueued_at=at(0)), now=at(0))
    engine.accept("c1", "a", now=at(1))

    engine.transfer("c1", "a", pool="dach", department="tech", now=at(200))

    moved = engine.items["c1"]
    assert (moved.pool, moved.department, moved.enqueued_at) == ("dach", "tech", at(0))
    assert engine.queue_position("c1") == 0
    assert engine.queue_position("older") == 1
    first, second = engine.upsert_agent(agent("b", pools=("dach",)), now=at(201)).decisions
    assert (first.case_id, second.case_id) == ("c1", "older")


def test_work_api_refuses_actions_from_the_wrong_agent_or_state():
    engine = RoutingEngine()
    engine.upsert_agent(agent("a"), now=at(0))
    engine.enqueue(item("c1"), now=at(0))
    with pytest.raises(WrongState):
        engine.accept("c1", "b", now=at(1))
    with pytest.raises(WrongState):
        engine.resolve("c1", "a", now=at(1))
    with pytest.raises(UnknownCase):
        engine.decline("nope", "a", now=at(1))


def test_queue_position_and_estimated_wait_follow_the_pace_of_offers():
    engine = RoutingEngine()
    for n in range(6):
        engine.enqueue(item(f"c{n}", enqueued_at=at(n)), now=at(n))
    assert [engine.queue_position(f"c{n}") for n in range(6)] == [0, 1, 2, 3, 4, 5]
    assert engine.estimated_wait("c5") is None

    engine.upsert_agent(agent("a"), now=at(10))
    for n in range(3):
        engine.accept(f"c{n}", "a", now=at(10))
    for n, moment in enumerate((20, 30)):
        engine.resolve(f"c{n}", "a", now=at(moment))
        engine.finish_wrap_up(f"c{n}", "a", now=at(moment))
    assert engine.queue_position("c5") == 0
    assert engine.estimated_wait("c5") == timedelta(seconds=5)


def test_a_withdrawn_offer_frees_the_agent_and_the_case_waits_again():
    engine = RoutingEngine()
    engine.upsert_agent(agent("a"), now=at(0))
    engine.enqueue(item("c1"), now=at(0))
    engine.withdraw("c1", now=at(1))
    assert engine.items["c1"].state is ItemState.WAITING
    assert engine.agents["a"].load[Channel.CHAT] == 0
    engine.withdraw("c1", now=at(1), keep_waiting=False)
    assert "c1" not in engine.items
