"""The routing engine: pure, single-threaded, proposes offers and keeps its index current.

The engine never does I/O. Each replica holds one for the pools it owns; the adapters
commit every proposal with a compare-and-set and call :meth:`withdraw` when the database
disagrees, so a stale index costs a retry, never a double assignment.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import datetime, timedelta
from functools import partial

from switchboard.routing.domain.choosing import best_cases_for
from switchboard.routing.domain.decisions import Decision, Outcome, RunnerUp, Trigger
from switchboard.routing.domain.errors import UnknownAgent, UnknownCase, WrongState
from switchboard.routing.domain.explaining import runner_up_after, terms_failed, terms_met
from switchboard.routing.domain.model import Agent, Channel, ItemState, Presence, WorkItem
from switchboard.routing.domain.policy import (
    Policy,
    PolicySet,
    advance_steps,
    catch_all_policy,
    next_review_at,
)
from switchboard.routing.domain.pools import AgentTest, Candidate, PoolIndex, WaitingClass
from switchboard.routing.domain.ranks import order_of, rank_of
from switchboard.routing.domain.wait import ThroughputMeter

PASSED_OVER_SHOWN = 3


class RoutingEngine:
    def __init__(self, *, policies: PolicySet | None = None) -> None:
        self.policies = policies or PolicySet(policies=(), default=catch_all_policy())
        self.agents: dict[str, Agent] = {}
        self.items: dict[str, WorkItem] = {}
        self.pools: dict[str, PoolIndex] = {}
        self.meters: dict[tuple[str, Channel], ThroughputMeter] = {}
        self._arrivals = itertools.count(1)
        self._filings = itertools.count(1)

    # -- agents -----------------------------------------------------------------------

    def upsert_agent(self, agent: Agent, *, now: datetime) -> Outcome:
        """Add or replace an agent's record (profile, presence and current load)."""
        previous = self.agents.get(agent.id)
        if previous is not None and previous.same_record(agent):
            return Outcome()  # most often the engine's own offer read back: indexed already
        if previous is not None:
            self._unindex_agent(previous)
        for pool in agent.pools | (previous.pools if previous else frozenset()):
            self._pool(pool).forget_agent(agent.id)
        for pool in agent.pools:
            for channel in agent.capacity.limits:
                # Profiles change rarely; learn now which classes this agent qualifies for.
                self._pool(pool).classes_admitting(agent, channel)
        if agent.idle_since is None:
            agent.idle_since = now
        self.agents[agent.id] = agent
        self._index_agent(agent)
        return self._serve_agent(agent, now=now)

    def set_presence(self, agent_id: str, presence: Presence, *, now: datetime) -> Outcome:
        agent = self._agent(agent_id)
        outcome = Outcome()
        if presence is agent.presence:
            return outcome
        became_available = presence is Presence.AVAILABLE
        agent.presence = presence
        if became_available:
            agent.idle_since = now
        self._index_agent(agent)
        if presence is Presence.OFFLINE:
            for item in self._items_of(agent_id, ItemState.OFFERED):
                self._release(item, agent, now=now)
                outcome.requeued.append(item.case_id)
                outcome.extend(self._requeue(item, now=now))
        if became_available:
            outcome.extend(self._serve_agent(agent, now=now))
        return outcome

    # -- cases ------------------------------------------------------------------------

    def enqueue(self, item: WorkItem, *, now: datetime) -> Outcome:
        """Put a new case in its pool's queue, and offer it at once if an agent qualifies."""
        known = self.items.get(item.case_id)
        if known is not None and known.state is not ItemState.DONE:
            return Outcome()
        item.arrival = next(self._arrivals)
        item.state = ItemState.WAITING
        item.agent_id = None
        item.policy = self.policies.for_case(item).name
        item.step = 0
        item.step_started_at = item.step_started_at or now
        self.items[item.case_id] = item
        self._advance_due_steps(item, now=now)
        return self._requeue(item, now=now)

    def restore(self, item: WorkItem, *, now: datetime) -> Outcome:
        """Index a waiting case as the database holds it, keeping its policy and step."""
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

    def review(self, case_id: str, *, now: datetime) -> Outcome:
        """Apply step time-outs and preference expiry that are due by ``now``."""
        item = self.items.get(case_id)
        if item is None or item.state is not ItemState.WAITING:
            return Outcome()
        before = (item.step, item.preferred_agent)
        self._advance_due_steps(item, now=now)
        if (item.step, item.preferred_agent) == before:
            return Outcome()
        return self._requeue(item, now=now)

    def next_review_at(self, case_id: str) -> datetime | None:
        """When :meth:`review` may next change this waiting case's step or preference."""
        item = self.items.get(case_id)
        if item is None or item.state is not ItemState.WAITING:
            return None
        return next_review_at(
            self.policy_of(item),
            step=item.step,
            step_started_at=item.step_started_at or item.enqueued_at,
            preferred_until=item.preferred_until if item.preferred_agent else None,
        )

    def accept(self, case_id: str, agent_id: str, *, now: datetime) -> WorkItem:
        item = self._held(case_id, agent_id, ItemState.OFFERED)
        item.state = ItemState.ASSIGNED
        return item

    def decline(self, case_id: str, agent_id: str, *, now: datetime) -> Outcome:
        item = self._held(case_id, agent_id, ItemState.OFFERED)
        return self._refuse(item, self._agent(agent_id), now=now)

    def expire_offer(self, case_id: str, agent_id: str, *, now: datetime) -> Outcome:
        """An offer's time-out fired: requeue the case and set the agent away. Idempotent."""
        item = self.items.get(case_id)
        if item is None or item.state is not ItemState.OFFERED or item.agent_id != agent_id:
            return Outcome()
        agent = self._agent(agent_id)
        agent.presence = Presence.AWAY
        self._index_agent(agent)
        outcome = self._refuse(item, agent, now=now)
        outcome.set_away.append(agent_id)
        return outcome

    def resolve(self, case_id: str, agent_id: str, *, now: datetime) -> WorkItem:
        """The agent resolved the case; its slot stays taken until wrap-up ends."""
        item = self._held(case_id, agent_id, ItemState.ASSIGNED)
        item.state = ItemState.WRAP_UP
        return item

    def finish_wrap_up(self, case_id: str, agent_id: str, *, now: datetime) -> Outcome:
        item = self._held(case_id, agent_id, ItemState.WRAP_UP)
        agent = self._agent(agent_id)
        opened = self._release(item, agent, now=now)
        item.state = ItemState.DONE
        del self.items[case_id]
        return self._serve_agent(agent, now=now, channels=opened)

    def transfer(
        self, case_id: str, agent_id: str, *, pool: str, department: str | None, now: datetime
    ) -> Outcome:
        """Hand an assigned case to another pool or department; it keeps its age."""
        item = self._held(case_id, agent_id, ItemState.ASSIGNED)
        agent = self._agent(agent_id)
        opened = self._release(item, agent, now=now)
        item.pool = pool
        if department is not None:
            item.department = department
        item.excluded_agents = item.excluded_agents | {agent_id}
        item.preferred_agent = None
        item.policy = self.policies.for_case(item).name
        item.step = 0
        item.step_started_at = now
        outcome = self._requeue(item, now=now)
        outcome.extend(self._serve_agent(agent, now=now, channels=opened))
        return outcome

    def withdraw(self, case_id: str, *, now: datetime, keep_waiting: bool = True) -> None:
        """Undo an offer the database refused; the case waits again or leaves this index."""
        item = self.items.get(case_id)
        if item is None:
            return
        if item.agent_id is not None and item.state is not ItemState.WAITING:
            agent = self.agents.get(item.agent_id)
            if agent is not None:
                self._release(item, agent, now=now)
                self._index_agent(agent)
        if keep_waiting:
            item.state = ItemState.WAITING
            item.agent_id = None
            self._file(item, now=now)
        else:
            item.state = ItemState.DONE
            del self.items[case_id]

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

    def _agent(self, agent_id: str) -> Agent:
        agent = self.agents.get(agent_id)
        if agent is None:
            raise UnknownAgent(agent_id)
        return agent

    def _held(self, case_id: str, agent_id: str, state: ItemState) -> WorkItem:
        item = self.items.get(case_id)
        if item is None:
            raise UnknownCase(case_id)
        if item.agent_id != agent_id or item.state is not state:
            raise WrongState(f"case {case_id!r} is not {state.value} for agent {agent_id!r}")
        return item

    def _items_of(self, agent_id: str, state: ItemState) -> list[WorkItem]:
        held = (item for item in self.items.values() if item.agent_id == agent_id)
        return [item for item in held if item.state is state]

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

    def _release(self, item: WorkItem, agent: Agent, *, now: datetime) -> list[Channel]:
        """Free the item's slot; returns the channels this opened for the agent.

        The agent's place in the idle order is updated by whoever serves it next
        (:meth:`_serve_agent` always ends by re-indexing it), so it is done once.
        """
        before = agent.open_channels()
        load = agent.load
        channel = item.channel
        load[channel] = max(0, load.get(channel, 0) - 1)
        agent.idle_since = now
        item.agent_id = None
        item.state = ItemState.WAITING
        return [opened for opened in agent.open_channels() if opened not in before]

    def _refuse(self, item: WorkItem, agent: Agent, *, now: datetime) -> Outcome:
        opened = self._release(item, agent, now=now)
        item.excluded_agents = item.excluded_agents | {agent.id}
        outcome = self._requeue(item, now=now)
        outcome.requeued.append(item.case_id)
        outcome.extend(self._serve_agent(agent, now=now, channels=opened))
        return outcome

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

    def _requeue(self, item: WorkItem, *, now: datetime) -> Outcome:
        waiting_class = self._file(item, now=now)
        return self._serve_case(item, waiting_class, now=now)

    def _serve_case(self, item: WorkItem, waiting_class: WaitingClass, *, now: datetime) -> Outcome:
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
            return Outcome()
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
        return Outcome(decisions=[decision])

    def _serve_agent(
        self, agent: Agent, *, now: datetime, channels: Iterable[Channel] | None = None
    ) -> Outcome:
        """Offer the agent the best waiting cases on ``channels`` (all when ``None``).

        Every other channel already had its chance: whenever a case is filed, the idle
        agents who could take it are scanned, so only newly opened channels need a look.
        """
        outcome = Outcome()
        decisions = outcome.decisions
        # Read at once when every channel is a candidate, otherwise once an offer changed it.
        open_now: list[Channel] | None = None
        if channels is None:
            candidates = open_now = agent.open_channels()
        else:
            candidates = list(channels)
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
        return outcome

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
