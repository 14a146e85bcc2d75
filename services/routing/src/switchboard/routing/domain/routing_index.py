"""The routing index: pure, single-threaded, proposes offers and keeps itself current.

The index never does I/O and changes no case's lifecycle: it holds, for the pools a replica
owns, the waiting cases and the agents as the database last showed them, and proposes the
best offers. A proposal is applied to the index at once (the case is no longer waiting, the
agent holds one more slot) until the offer is read back. The offer loop feeds it every
changed row (``upsert_agent``, ``upsert_case``, ``forget``) and commits its proposals with
a compare-and-set; when the rows refuse one, it forgets the case and reads both rows again,
so a stale index costs a retry, never a double assignment.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import datetime, timedelta
from functools import partial

from switchboard.routing.domain.choosing import best_cases_for
from switchboard.routing.domain.decisions import Decision, RunnerUp, Trigger
from switchboard.routing.domain.errors import WrongState
from switchboard.routing.domain.explaining import runner_up_after, terms_failed, terms_met
from switchboard.routing.domain.model import Agent, Channel, ItemState, WorkItem
from switchboard.routing.domain.policy import Policy, PolicySet, advance_steps, catch_all_policy
from switchboard.routing.domain.pools import AgentTest, Candidate, PoolIndex, WaitingClass
from switchboard.routing.domain.ranks import order_of, rank_of
from switchboard.routing.domain.wait import ThroughputMeter

PASSED_OVER_SHOWN = 3


class RoutingIndex:
    def __init__(self, *, policies: PolicySet | None = None) -> None:
        self.policies = policies or PolicySet(policies=(), default=catch_all_policy())
        self.agents: dict[str, Agent] = {}
        self.items: dict[str, WorkItem] = {}
        self.pools: dict[str, PoolIndex] = {}
        self.meters: dict[tuple[str, Channel], ThroughputMeter] = {}
        self._arrivals = itertools.count(1)
        self._filings = itertools.count(1)

    # -- what the database says -------------------------------------------------------

    def upsert_agent(self, agent: Agent, *, now: datetime) -> list[Decision]:
        """Add or replace an agent's record (profile, presence and current load) and offer
        it the best waiting cases it can take."""
        previous = self.agents.get(agent.id)
        channels: list[Channel] | None = None  # all it has free
        if previous is not None:
            if previous.same_record(agent):
                return []  # most often the index's own offer read back: indexed already
            if previous.same_profile(agent):
                # Only presence, load or idle time changed. Every other free channel already
                # had its chance: whenever a case is filed, the idle agents who could take it
                # are scanned, so only the channels this change opened need a look.
                was_open = previous.open_channels()
                channels = [each for each in agent.open_channels() if each not in was_open]
            else:
                self._learn_profile(agent, previous)
        else:
            self._learn_profile(agent, None)
        if agent.idle_since is None:
            agent.idle_since = now
        self.agents[agent.id] = agent
        return self._serve_agent(agent, now=now, channels=channels)

    def upsert_case(self, item: WorkItem, *, now: datetime) -> list[Decision]:
        """File a waiting case as the database holds it, keeping its policy and step (a
        policy no longer in force gives way to the one that now applies, from its first
        step), and offer it at once if an idle agent qualifies."""
        self.forget(item.case_id)
        if self.policies.by_name(item.policy).name != item.policy:
            item.policy, item.step = self.policies.for_case(item).name, 0
        item.arrival = next(self._arrivals)
        item.state = ItemState.WAITING
        item.agent_id = None
        self.items[item.case_id] = item
        self._advance_due_steps(item, now=now)
        return self._requeue(item, now=now)

    def forget(self, case_id: str) -> None:
        """Drop a case from the index (its heap entries die lazily); agents are untouched."""
        item = self.items.pop(case_id, None)
        if item is not None:
            item.state = ItemState.DONE

    # -- reading ----------------------------------------------------------------------

    def policy_of(self, item: WorkItem) -> Policy:
        return self.policies.by_name(item.policy)

    def queue_position(self, case_id: str) -> int | None:
        """How many waiting cases of the same pool and channel come before this one (0-based)."""
        item = self.items.get(case_id)
        if item is None or item.state is not ItemState.WAITING:
            return None
        mine = order_of(item.rank)
        index = self.pools[item.pool]
        entries = index.waiting_entries(item.channel)
        return sum(1 for rank, _ in entries if order_of(rank) < mine)

    def estimated_wait(self, case_id: str) -> timedelta | None:
        position = self.queue_position(case_id)
        if position is None:
            return None
        item = self.items[case_id]
        meter = self.meters.get((item.pool, item.channel))
        return meter.estimated_wait(position) if meter else None

    # -- internals --------------------------------------------------------------------

    def _learn_profile(self, agent: Agent, previous: Agent | None) -> None:
        """A new agent, or one whose profile changed: learn now, while profiles change
        rarely, which classes it qualifies for."""
        if previous is not None:
            self._unindex_agent(previous)
        for pool in agent.pools | (previous.pools if previous else frozenset()):
            self._pool(pool).forget_agent(agent.id)
        for pool in agent.pools:
            for channel in agent.capacity.limits:
                self._pool(pool).classes_admitting(agent, channel)

    def _pool(self, name: str) -> PoolIndex:
        index = self.pools.get(name)
        if index is None:
            index = self.pools[name] = PoolIndex(name)
        return index

    def _index_agent(
        self, agent: Agent, open_channels: list[Channel] | None = None
    ) -> list[Channel]:
        """Place the agent in the idle order of each channel it can take; returns those.

        ``open_channels``, when given, must be ``agent.open_channels()`` as it is now.
        """
        if open_channels is None:
            open_channels = agent.open_channels()
        pools = self.pools
        for pool in agent.pools:
            index = pools.get(pool)
            if index is None:
                index = self._pool(pool)
            for channel in agent.capacity.limits:
                if channel in open_channels:
                    index.place_idle(agent, channel)
                else:
                    index.drop_idle(agent.id, channel)
        return open_channels

    def _unindex_agent(self, agent: Agent) -> None:
        for pool in agent.pools:
            for channel in agent.capacity.limits:
                self._pool(pool).drop_idle(agent.id, channel)

    def _advance_due_steps(self, item: WorkItem, *, now: datetime) -> None:
        if item.preferred_until is not None and item.preferred_until <= now:
            item.preferred_agent = None
        item.step, item.step_started_at = advance_steps(
            self.policy_of(item), step=item.step, started_at=item.step_started_at or now, now=now
        )

    def _prefers(self, item: WorkItem, *, now: datetime) -> bool:
        if item.preferred_agent is None:
            return False
        return item.preferred_until is None or now < item.preferred_until

    def _class_key(self, item: WorkItem, *, now: datetime) -> Hashable:
        if self._prefers(item, now=now):
            return ("preferred", item.preferred_agent)
        requirement = self.policy_of(item).steps[item.step].requirement
        return requirement.class_key(item)

    def _file(self, item: WorkItem, *, now: datetime) -> WaitingClass:
        item.filing = next(self._filings)
        item.rank = rank_of(item)
        key = self._class_key(item, now=now)
        return self._pool(item.pool).file(item, key, lambda: self._acceptance(item, now=now))

    def _acceptance(self, item: WorkItem, *, now: datetime) -> AgentTest:
        if self._prefers(item, now=now):
            preferred = item.preferred_agent
            return lambda agent: agent.id == preferred
        test = self.policy_of(item).steps[item.step].requirement.test
        return lambda agent: test(agent, item)

    def _requeue(self, item: WorkItem, *, now: datetime) -> list[Decision]:
        waiting_class = self._file(item, now=now)
        return self._serve_case(item, waiting_class, now=now)

    def _serve_case(
        self, item: WorkItem, waiting_class: WaitingClass, *, now: datetime
    ) -> list[Decision]:
        accepts = waiting_class.accepts
        excluded = item.excluded_agents
        winner: Agent | None = None
        runner_up: Agent | None = None
        passed_over: list[Agent] = []
        for agent in self._pool(item.pool).idle_agents(item.channel):
            if agent.id in excluded:
                continue
            if not accepts(agent):
                if winner is None and len(passed_over) < PASSED_OVER_SHOWN:
                    passed_over.append(agent)
                continue
            if winner is None:
                winner = agent
                continue
            runner_up = agent
            break
        if winner is None:
            return []
        if runner_up is None:
            reason = RunnerUp("agent", None, "none")
        else:
            reason = RunnerUp(
                "agent", runner_up.id, "idle", winner.idle_since, runner_up.idle_since
            )
        decision = self._offer(
            item,
            winner,
            trigger=Trigger.CASE_ARRIVED,
            runner_up=lambda: reason,
            now=now,
            passed_over=passed_over,
        )
        self._index_agent(winner)
        return [decision]

    def _serve_agent(
        self, agent: Agent, *, now: datetime, channels: list[Channel] | None
    ) -> list[Decision]:
        """Offer the agent the best waiting cases on ``channels`` (``None``: all it has
        free), then place it in the idle order of the channels it still has free."""
        decisions: list[Decision] = []
        # Read at once when every channel is a candidate, otherwise once an offer changed it.
        open_now: list[Channel] | None = None
        if channels is None:
            candidates = open_now = agent.open_channels()
        else:
            candidates = channels
        while candidates:
            best, best_class, second = self._best_cases_for(agent, candidates)
            if best is None or best_class is None:
                break
            decisions.append(
                self._offer(
                    best[1],
                    agent,
                    trigger=Trigger.AGENT_FREED,
                    runner_up=partial(runner_up_after, best, best_class, second, agent.id),
                    now=now,
                )
            )
            open_now = agent.open_channels()
            candidates = [channel for channel in candidates if channel in open_now]
        self._index_agent(agent, open_now)
        return decisions

    def _best_cases_for(
        self, agent: Agent, channels: Iterable[Channel]
    ) -> tuple[Candidate | None, WaitingClass | None, Candidate | None]:
        return best_cases_for(self.pools, agent, channels)

    def _offer(
        self,
        item: WorkItem,
        agent: Agent,
        *,
        trigger: Trigger,
        runner_up: Callable[[], RunnerUp],
        now: datetime,
        passed_over: Sequence[Agent] = (),
    ) -> Decision:
        channel = item.channel
        if item.state is not ItemState.WAITING or not agent.can_take(channel):
            raise WrongState(f"cannot offer case {item.case_id!r} to agent {agent.id!r}")
        policy = self.policies.by_name(item.policy)
        preferred = self._prefers(item, now=now)
        requirement, matched = terms_met(policy, item, agent, preferred=preferred)
        item.state = ItemState.OFFERED
        item.agent_id = agent_id = agent.id
        load = agent.load
        load[channel] = load.get(channel, 0) + 1
        agent.idle_since = now
        meter_key = (item.pool, channel)
        meter = self.meters.get(meter_key)
        if meter is None:
            meter = self.meters[meter_key] = ThroughputMeter()
        meter.record(now)
        return Decision(
            case_id=item.case_id,
            agent_id=agent_id,
            pool=item.pool,
            channel=channel,
            priority=item.priority,
            policy=policy.name,
            step=-1 if preferred else item.step,
            requirement=requirement,
            matched=matched,
            trigger=trigger,
            runner_up=runner_up(),
            decided_at=now,
            offer_expires_at=now + policy.offer_timeout,
            passed_over=tuple(
                (other.id, terms_failed(policy, item, other)) for other in passed_over
            )
            if passed_over
            else (),
        )
