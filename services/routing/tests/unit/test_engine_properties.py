"""Hypothesis drives the engine through random work and checks it against brute force."""

from datetime import timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from switchboard.routing.domain.decisions import Decision, Trigger
from switchboard.routing.domain.engine import RoutingEngine
from switchboard.routing.domain.model import Agent, Channel, ItemState, Presence, WorkItem
from switchboard.routing.domain.policy import policy_set_from_data

from .builders import agent, at, item

POLICIES = policy_set_from_data(
    {
        "policies": [
            {
                "name": "voice",
                "when": 'channel == "phone"',
                "steps": [{"requires": "billing >= 8", "timeout_seconds": 20}],
                "fallback": "billing >= 1",
            },
            {
                "name": "written",
                "steps": [
                    {
                        "requires": "billing >= 6 and language == case.language",
                        "timeout_seconds": 15,
                    },
                    {"requires": "language == case.language", "timeout_seconds": 30},
                ],
                "fallback": "true",
            },
        ]
    }
)
AGENT_IDS = [f"a{n}" for n in range(6)]
POOLS = ["nordics", "dach"]
LANGUAGES = ["da", "fi", "de"]


def qualifies(engine: RoutingEngine, candidate: Agent, waiting: WorkItem, now) -> bool:
    if candidate.id in waiting.excluded_agents:
        return False
    if waiting.preferred_agent and (
        waiting.preferred_until is None or now < waiting.preferred_until
    ):
        return candidate.id == waiting.preferred_agent
    requirement = engine.policy_of(waiting).steps[waiting.step].requirement
    return requirement.matches(candidate, waiting)


def order(waiting: WorkItem):
    return (waiting.priority, waiting.enqueued_at, waiting.arrival)


class CheckedEngine(RoutingEngine):
    """Checks every proposal against a brute-force scan at the moment it is made."""

    def _offer(self, item, agent, *, trigger, runner_up, now, passed_over=()) -> Decision:
        assert item.state is ItemState.WAITING
        assert agent.can_take(item.channel), "offer beyond capacity"
        assert qualifies(self, agent, item, now), "offer to an unqualified or excluded agent"
        if trigger is Trigger.AGENT_FREED:
            for other in self.items.values():
                if (
                    other.state is ItemState.WAITING
                    and other.pool in agent.pools
                    and agent.can_take(other.channel)
                    and qualifies(self, agent, other, now)
                ):
                    assert order(item) <= order(other), "a better waiting case was skipped"
        else:
            for other in self.agents.values():
                if (
                    item.pool in other.pools
                    and other.can_take(item.channel)
                    and qualifies(self, other, item, now)
                ):
                    assert agent.idle_since <= other.idle_since, "a longer-idle agent was skipped"
        return super()._offer(
            item, agent, trigger=trigger, runner_up=runner_up, now=now, passed_over=passed_over
        )


class RoutingMachine(RuleBasedStateMachine):
    @initialize()
    def start(self):
        self.engine = CheckedEngine(policies=POLICIES)
        self.clock = 0.0
        self.cases = 0

    @property
    def now(self):
        return at(self.clock)

    def held(self, state):
        return sorted(
            (each for each in self.engine.items.values() if each.state is state),
            key=lambda each: each.case_id,
        )

    def absorb(self, decisions):
        for decision in decisions:
            assert decision.agent_id not in self.engine.items[decision.case_id].excluded_agents

    @rule(
        agent_id=st.sampled_from(AGENT_IDS),
        billing=st.integers(0, 10),
        languages=st.sets(st.sampled_from(LANGUAGES), min_size=1),
        pools=st.sets(st.sampled_from(POOLS), min_size=1),
    )
    def hire_or_update(self, agent_id, billing, languages, pools):
        existing = self.engine.agents.get(agent_id)
        updated = agent(agent_id, pools=pools, skills={"billing": billing}, languages=languages)
        if existing is not None:
            updated.load, updated.presence = existing.load, existing.presence
            updated.idle_since = existing.idle_since
        self.absorb(self.engine.upsert_agent(updated, now=self.now).decisions)

    @precondition(lambda self: self.engine.agents)
    @rule(data=st.data(), presence=st.sampled_from(list(Presence)))
    def change_presence(self, data, presence):
        agent_id = data.draw(st.sampled_from(sorted(self.engine.agents)))
        self.absorb(self.engine.set_presence(agent_id, presence, now=self.now).decisions)

    @rule(
        pool=st.sampled_from(POOLS),
        channel=st.sampled_from([Channel.PHONE, Channel.CHAT, Channel.EMAIL]),
        priority=st.integers(1, 4),
        language=st.sampled_from(LANGUAGES),
        age=st.integers(0, 120),
        preferred=st.none() | st.sampled_from(AGENT_IDS),
    )
    def case_arrives(self, pool, channel, priority, language, age, preferred):
        self.cases += 1
        new = item(
            f"c{self.cases}",
            pool=pool,
            channel=channel,
            priority=priority,
            language=language,
            enqueued_at=self.now - timedelta(seconds=age),
            preferred_agent=preferred,
            preferred_until=self.now + timedelta(seconds=10) if preferred else None,
        )
        self.absorb(self.engine.enqueue(new, now=self.now).decisions)

    @precondition(lambda self: self.held(ItemState.OFFERED))
    @rule(data=st.data(), answer=st.sampled_from(["accept", "decline", "expire"]))
    def answer_offer(self, data, answer):
        offered = data.draw(st.sampled_from(self.held(ItemState.OFFERED)))
        if answer == "accept":
            self.engine.accept(offered.case_id, offered.agent_id, now=self.now)
            return
        agent_id = offered.agent_id
        act = self.engine.decline if answer == "decline" else self.engine.expire_offer
        outcome = act(offered.case_id, agent_id, now=self.now)
        assert agent_id in offered.excluded_agents
        assert all(
            d.agent_id != agent_id or d.case_id != offered.case_id for d in outcome.decisions
        )
        self.absorb(outcome.decisions)

    @precondition(lambda self: self.held(ItemState.ASSIGNED))
    @rule(data=st.data(), transfer_to=st.none() | st.sampled_from(POOLS))
    def finish_or_transfer(self, data, transfer_to):
        assigned = data.draw(st.sampled_from(self.held(ItemState.ASSIGNED)))
        if transfer_to is None:
            self.engine.resolve(assigned.case_id, assigned.agent_id, now=self.now)
            return
        age = assigned.enqueued_at
        outcome = self.engine.transfer(
            assigned.case_id, assigned.agent_id, pool=transfer_to, department=None, now=self.now
        )
        assert assigned.enqueued_at == age
        self.absorb(outcome.decisions)

    @precondition(lambda self: self.held(ItemState.WRAP_UP))
    @rule(data=st.data())
    def wrap_up_ends(self, data):
        wrapping = data.draw(st.sampled_from(self.held(ItemState.WRAP_UP)))
        outcome = self.engine.finish_wrap_up(wrapping.case_id, wrapping.agent_id, now=self.now)
        self.absorb(outcome.decisions)

    @rule(seconds=st.integers(1, 25))
    def time_passes(self, seconds):
        self.clock += seconds
        for waiting in self.held(ItemState.WAITING):
            due = self.engine.next_review_at(waiting.case_id)
            if due is not None and due <= self.now:
                self.absorb(self.engine.review(waiting.case_id, now=self.now).decisions)

    @invariant()
    def loads_match_held_work_and_stay_within_capacity(self):
        if not hasattr(self, "engine"):
            return
        for each in self.engine.agents.values():
            held = {}
            for work in self.engine.items.values():
                if work.agent_id == each.id and work.state is not ItemState.WAITING:
                    held[work.channel] = held.get(work.channel, 0) + 1
            assert {c: n for c, n in each.load.items() if n} == held
            assert each.capacity.within(each.load)

    @invariant()
    def no_idle_qualified_agent_leaves_a_case_waiting(self):
        if not hasattr(self, "engine"):
            return
        for waiting in self.held(ItemState.WAITING):
            for each in self.engine.agents.values():
                if waiting.pool in each.pools and each.can_take(waiting.channel):
                    assert not qualifies(self.engine, each, waiting, self.now)


RoutingMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=60, deadline=None)
test_routing_engine_against_brute_force = RoutingMachine.TestCase
