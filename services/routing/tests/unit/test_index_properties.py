"""Hypothesis drives routing's case lifecycle on a model of the rows, feeds the routing index
every changed row as the offer loop does, and checks each proposal against brute force."""

from dataclasses import replace
from datetime import timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from switchboard.routing.domain.decisions import Decision, Trigger
from switchboard.routing.domain.model import Agent, Channel, ItemState, Presence, WorkItem
from switchboard.routing.domain.policy import advance_steps, next_review_at, policy_set_from_data
from switchboard.routing.domain.routing_index import RoutingIndex

from .builders import agent, at, item

POLICIES = policy_set_from_data(
    {
        "policies": [
            {
                "name": "voice",
                "when": 'channel == "phone"',
                "steps": [{"requires": "billing >= 8", "timeout": "20s"}],
                "fallback": "billing >= 1",
            },
            {
                "name": "written",
                "steps": [
                    {"requires": "billing >= 6 and language == case.language", "timeout": 15},
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
HOLDING = (ItemState.OFFERED, ItemState.ASSIGNED, ItemState.WRAP_UP)


def qualifies(index: RoutingIndex, candidate: Agent, waiting: WorkItem, now) -> bool:
    if candidate.id in waiting.excluded_agents:
        return False
    if waiting.preferred_agent and (
        waiting.preferred_until is None or now < waiting.preferred_until
    ):
        return candidate.id == waiting.preferred_agent
    requirement = index.policy_of(waiting).steps[waiting.step].requirement
    return requirement.matches(candidate, waiting)


def order(waiting: WorkItem):
    return (waiting.priority, waiting.enqueued_at, waiting.arrival)


class CheckedIndex(RoutingIndex):
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


def still_possible(case: WorkItem, row: Agent, decision: Decision) -> bool:
    """The offer writer's compare-and-set, on the model's rows."""
    return (
        case.state is ItemState.WAITING
        and row.id not in case.excluded_agents
        and row.presence is Presence.AVAILABLE
        and case.channel is decision.channel
        and case.pool in row.pools
        and row.capacity.can_take(case.channel, row.load)
    )


class RoutingMachine(RuleBasedStateMachine):
    """``agents`` and ``cases`` are the rows; each rule is one transaction of the service
    layer on them, after which the offer loop syncs the rows it changed."""

    @initialize()
    def start(self):
        self.index = CheckedIndex(policies=POLICIES)
        self.agents: dict[str, Agent] = {}
        self.cases: dict[str, WorkItem] = {}
        self.clock = 0.0
        self.opened = 0

    @property
    def now(self):
        return at(self.clock)

    def rows_in(self, state):
        return sorted(
            (each for each in self.cases.values() if each.state is state),
            key=lambda each: each.case_id,
        )

    # -- the offer loop ---------------------------------------------------------------

    def sync(self, *, agents=(), cases=()):
        """Read the changed rows (cases first), then commit what the index proposes."""
        decisions = []
        for case_id in cases:
            decisions += self.apply_case(case_id)
        for agent_id in agents:
            decisions += self.upsert_agent(agent_id)
        self.commit(decisions)

    def apply_case(self, case_id):
        row = self.cases[case_id]
        if row.state is ItemState.WAITING:
            return self.index.upsert_case(replace(row), now=self.now)
        self.index.forget(case_id)
        return []

    def upsert_agent(self, agent_id):
        row = self.agents[agent_id]
        return self.index.upsert_agent(replace(row, load=dict(row.load)), now=self.now)

    def commit(self, decisions):
        """The offer writer's compare-and-set on the rows; for a refused proposal the case
        is forgotten and both rows read again, as the offer loop does. The next sync reads
        back what was offered: nothing new."""
        offered, serving = [], set()
        while decisions:
            decision = decisions.pop(0)
            case, row = self.cases[decision.case_id], self.agents[decision.agent_id]
            if not still_possible(case, row, decision):
                self.index.forget(case.case_id)
                decisions += self.upsert_agent(row.id) + self.apply_case(case.case_id)
                continue
            case.state, case.agent_id = ItemState.OFFERED, row.id
            row.load[case.channel] = row.load.get(case.channel, 0) + 1
            row.idle_since = self.now
            offered.append(case.case_id)
            serving.add(row.id)
        for case_id in offered:
            assert self.apply_case(case_id) == []
        for agent_id in sorted(serving):
            assert self.upsert_agent(agent_id) == [], "the index and the rows disagree"

    # -- transitions on the rows --------------------------------------------------------

    def release(self, case: WorkItem) -> Agent:
        row = self.agents[case.agent_id]
        row.load[case.channel] -= 1
        row.idle_since = self.now
        return row

    def requeue(self, case: WorkItem, *, excluding: str | None) -> None:
        if excluding is not None:
            case.excluded_agents = case.excluded_agents | {excluding}
        case.state, case.agent_id = ItemState.WAITING, None

    @rule(
        agent_id=st.sampled_from(AGENT_IDS),
        billing=st.integers(0, 10),
        languages=st.sets(st.sampled_from(LANGUAGES), min_size=1),
        pools=st.sets(st.sampled_from(POOLS), min_size=1),
    )
    def hire_or_update(self, agent_id, billing, languages, pools):
        existing = self.agents.get(agent_id)
        updated = agent(agent_id, pools=pools, skills={"billing": billing}, languages=languages)
        if existing is None:
            updated.idle_since = self.now
        else:
            updated.load, updated.presence = existing.load, existing.presence
            updated.idle_since = existing.idle_since
        self.agents[agent_id] = updated
        self.sync(agents=[agent_id])

    @precondition(lambda self: self.agents)
    @rule(data=st.data(), presence=st.sampled_from(list(Presence)))
    def change_presence(self, data, presence):
        row = self.agents[data.draw(st.sampled_from(sorted(self.agents)))]
        returned = []
        if presence is Presence.OFFLINE:
            for case in self.rows_in(ItemState.OFFERED):
                if case.agent_id == row.id:
                    self.release(case)
                    self.requeue(case, excluding=None)
                    returned.append(case.case_id)
        if row.presence is not presence or returned:
            row.presence = presence
            if presence is Presence.AVAILABLE:
                row.idle_since = self.now
        self.sync(agents=[row.id], cases=returned)

    @rule(
        pool=st.sampled_from(POOLS),
        channel=st.sampled_from([Channel.PHONE, Channel.CHAT, Channel.EMAIL]),
        priority=st.integers(1, 4),
        language=st.sampled_from(LANGUAGES),
        age=st.integers(0, 120),
        preferred=st.none() | st.sampled_from(AGENT_IDS),
    )
    def case_arrives(self, pool, channel, priority, language, age, preferred):
        self.opened += 1
        new = item(
            f"c{self.opened}",
            pool=pool,
            channel=channel,
            priority=priority,
            language=language,
            enqueued_at=self.now - timedelta(seconds=age),
            preferred_agent=preferred,
            preferred_until=self.now + timedelta(seconds=10) if preferred else None,
            step_started_at=self.now,
        )
        new.policy = POLICIES.for_case(new).name
        self.cases[new.case_id] = new
        self.sync(cases=[new.case_id])

    @precondition(lambda self: self.rows_in(ItemState.OFFERED))
    @rule(data=st.data(), answer=st.sampled_from(["accept", "decline", "expire"]))
    def answer_offer(self, data, answer):
        case = data.draw(st.sampled_from(self.rows_in(ItemState.OFFERED)))
        if answer == "accept":
            case.state = ItemState.ASSIGNED
            self.sync(cases=[case.case_id])
            return
        row = self.release(case)
        self.requeue(case, excluding=row.id)
        if answer == "expire":
            row.presence = Presence.AWAY
        self.sync(agents=[row.id], cases=[case.case_id])
        assert case.state is not ItemState.OFFERED or case.agent_id != row.id, "offered again"

    @precondition(lambda self: self.rows_in(ItemState.ASSIGNED))
    @rule(data=st.data(), transfer_to=st.none() | st.sampled_from(POOLS))
    def resolve_or_transfer(self, data, transfer_to):
        case = data.draw(st.sampled_from(self.rows_in(ItemState.ASSIGNED)))
        if transfer_to is None:
            case.state = ItemState.WRAP_UP
            self.sync(cases=[case.case_id])
            return
        age = case.enqueued_at
        row = self.release(case)
        self.requeue(case, excluding=row.id)
        case.pool, case.region = transfer_to, transfer_to
        case.preferred_agent = case.preferred_until = None
        case.policy, case.step = POLICIES.for_case(case).name, 0
        case.step_started_at = self.now
        self.sync(agents=[row.id], cases=[case.case_id])
        assert case.enqueued_at == age

    @precondition(lambda self: self.rows_in(ItemState.WRAP_UP))
    @rule(data=st.data())
    def wrap_up_ends(self, data):
        case = data.draw(st.sampled_from(self.rows_in(ItemState.WRAP_UP)))
        row = self.release(case)
        case.state = ItemState.DONE
        self.sync(agents=[row.id], cases=[case.case_id])

    @rule(seconds=st.integers(1, 25))
    def time_passes(self, seconds):
        self.clock += seconds
        for case in self.rows_in(ItemState.WAITING):
            policy = POLICIES.by_name(case.policy)
            due = next_review_at(
                policy,
                step=case.step,
                step_started_at=case.step_started_at,
                preferred_until=case.preferred_until if case.preferred_agent else None,
            )
            if due is None or due > self.now:
                continue
            case.step, case.step_started_at = advance_steps(
                policy, step=case.step, started_at=case.step_started_at, now=self.now
            )
            if case.preferred_until is not None and case.preferred_until <= self.now:
                case.preferred_agent = case.preferred_until = None
            self.sync(cases=[case.case_id])

    # -- what must always hold ----------------------------------------------------------

    @invariant()
    def loads_match_held_work_and_stay_within_capacity(self):
        if not hasattr(self, "index"):
            return
        for row in self.agents.values():
            held: dict[Channel, int] = {}
            for case in self.cases.values():
                if case.agent_id == row.id and case.state in HOLDING:
                    held[case.channel] = held.get(case.channel, 0) + 1
            assert {c: n for c, n in row.load.items() if n} == held
            assert row.capacity.within(row.load)

    @invariant()
    def the_index_holds_what_the_rows_say(self):
        if not hasattr(self, "index"):
            return
        assert set(self.index.agents) == set(self.agents)
        for agent_id, row in self.agents.items():
            assert self.index.agents[agent_id].same_record(row)
        waiting = {case.case_id for case in self.rows_in(ItemState.WAITING)}
        assert set(self.index.items) == waiting

    @invariant()
    def no_idle_qualified_agent_leaves_a_case_waiting(self):
        if not hasattr(self, "index"):
            return
        for waiting in self.index.items.values():
            for each in self.index.agents.values():
                if waiting.pool in each.pools and each.can_take(waiting.channel):
                    assert not qualifies(self.index, each, waiting, self.now)


RoutingMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=60, deadline=None)
test_routing_index_against_brute_force = RoutingMachine.TestCase
