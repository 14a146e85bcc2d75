"""A recorded day run again through the real routing index, in simulated time.

Discrete events on a heap of moments, no sleeping: visits arrive when they arrived, agents
change presence when they did, each offer is answered as its agent answered that case that
day (or, when the agent was never offered it, accepted after the day's mean time to
accept), and an accepted case holds its slot for its recorded time (or its pool's mean,
when it was never handled that day). Between events the index decides exactly as it does
in the service: the same ``RoutingIndex``, fed fresh records like the offer loop feeds it.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum
from statistics import fmean

from switchboard.routing.domain.decisions import Decision
from switchboard.routing.domain.model import Agent, Capacity, Channel, ItemState, Presence, WorkItem
from switchboard.routing.domain.policy import PolicySet, next_review_at
from switchboard.routing.domain.routing_index import RoutingIndex
from switchboard.routing.domain.whatif.recording import (
    AgentDay,
    Answer,
    RecordedDay,
    Response,
    Visit,
)


class Kind(IntEnum):
    """At one moment: slots freed and answers first, then presence, then arrivals."""

    RELEASE = 0
    ANSWER = 1
    PRESENCE = 2
    SYNC = 3
    REVIEW = 4
    ARRIVE = 5


@dataclass(slots=True)
class _Agent:
    day: AgentDay
    capacity: Capacity
    presence: Presence = Presence.OFFLINE
    idle_since: datetime | None = None
    load: dict[Channel, int] = field(default_factory=dict)

    def record(self) -> Agent:
        day = self.day
        return Agent(
            id=day.id,
            pools=day.pools,
            skills=dict(day.skills),
            languages=day.languages,
            region=day.region,
            team=day.team,
            capacity=self.capacity,
            presence=self.presence,
            idle_since=self.idle_since,
            load=dict(self.load),
        )


@dataclass(slots=True)
class _Stay:
    visit: Visit
    state: ItemState = ItemState.WAITING
    policy: str = ""
    step: int = 0
    step_started_at: datetime | None = None
    excluded: frozenset[str] = frozenset()
    agent: str | None = None
    offer: int = 0
    first_offer_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Replayed:
    """What the replay gave: each visit's wait (None: not offered before the day's end),
    the offers each agent got, and how often a behaviour had to be assumed."""

    waits: dict[str, float | None]
    offers: Counter[str]
    answers_assumed: int
    holds_assumed: int
    events: int


class Replay:
    def __init__(
        self,
        day: RecordedDay,
        *,
        policies: PolicySet,
        agents: tuple[AgentDay, ...],
        dispatch_seconds: tuple[float, ...] | None = None,
        seed: int = 18,
    ) -> None:
        self.day = day
        self.latencies = day.dispatch_seconds if dispatch_seconds is None else dispatch_seconds
        self.rng = random.Random(seed)
        self.policies = policies
        self.index = RoutingIndex(policies=policies)
        self.agents = {a.id: _Agent(a, Capacity(limits=dict(a.capacity))) for a in agents}
        self.stays = {visit.key: _Stay(visit, excluded=visit.excluded) for visit in day.visits}
        self.offered_to: dict[str, set[str]] = {agent_id: set() for agent_id in self.agents}
        self.heap: list[tuple[datetime, int, int, str, str, int]] = []
        self.order = itertools.count()
        self.offers: Counter[str] = Counter()
        self.answers_assumed = self.holds_assumed = 0
        self.accept_after = _mean([r.after_seconds for r in _responses(day, Answer.ACCEPT)], 1.0)
        holds: dict[str, list[float]] = {}
        for visit in day.visits:
            if visit.hold_seconds is not None:
                holds.setdefault(visit.pool, []).append(visit.hold_seconds)
        every = [hold for pool in holds.values() for hold in pool]
        self.mean_hold = {pool: fmean(each) for pool, each in holds.items()}
        self.any_hold = _mean(every, 300.0)

    def run(self) -> Replayed:
        for visit in self.day.visits:
            self._at(visit.at, Kind.ARRIVE, visit.key)
        for agent in self.agents.values():
            for moment, presence in agent.day.presence:
                self._at(moment, Kind.PRESENCE, agent.day.id, number=_PRESENCES.index(presence))
        events = 0
        end = self.day.end
        heap = self.heap
        while heap and heap[0][0] < end:
            now, kind, _, key, agent_id, number = heapq.heappop(heap)
            events += 1
            self._happen(Kind(kind), now, key, agent_id, number)
        return Replayed(
            waits={
                key: (stay.first_offer_at - stay.visit.at).total_seconds()
                if stay.first_offer_at is not None
                else None
                for key, stay in self.stays.items()
            },
            offers=self.offers,
            answers_assumed=self.answers_assumed,
            holds_assumed=self.holds_assumed,
            events=events,
        )

    # -- what happens -----------------------------------------------------------------

    def _happen(self, kind: Kind, now: datetime, key: str, agent_id: str, number: int) -> None:
        if kind is Kind.ARRIVE:
            stay = self.stays[key]
            stay.policy = self.policies.for_case(self._item(stay, now)).name
            stay.step, stay.step_started_at = 0, now
            self._queue(stay, now)
        elif kind is Kind.REVIEW:
            stay = self.stays[key]
            if stay.state is ItemState.WAITING and stay.offer == number:
                self._queue(stay, now)
        elif kind is Kind.PRESENCE:
            self._presence(self.agents[key], _PRESENCES[number], now)
        elif kind is Kind.SYNC:
            self._decided(self.index.upsert_agent(self.agents[key].record(), now=now), now)
        elif kind is Kind.ANSWER:
            stay = self.stays[key]
            if stay.state is ItemState.OFFERED and stay.agent == agent_id and stay.offer == number:
                self._answer(stay, now)
        else:
            self._free(self.agents[agent_id], self.stays[key].visit, now)

    def _queue(self, stay: _Stay, now: datetime) -> None:
        """File the visit as the offer loop files a waiting case, and set its review."""
        stay.state, stay.agent = ItemState.WAITING, None
        item = self._item(stay, now)
        decisions = self.index.upsert_case(item, now=now)
        stay.policy, stay.step, stay.step_started_at = item.policy, item.step, item.step_started_at
        self._decided(decisions, now)
        if stay.state is ItemState.WAITING:
            review = next_review_at(
                self.policies.by_name(stay.policy),
                step=stay.step,
                step_started_at=stay.step_started_at or now,
                preferred_until=None,
            )
            if review is not None:
                self._at(review, Kind.REVIEW, stay.visit.key, number=stay.offer)

    def _presence(self, agent: _Agent, presence: Presence, now: datetime) -> None:
        withdrawn = []
        if presence is Presence.OFFLINE:  # unaccepted offers go back to their queues
            withdrawn = [self.stays[key] for key in sorted(self.offered_to[agent.day.id])]
            self.offered_to[agent.day.id].clear()
            for stay in withdrawn:
                self._give_back(agent, stay.visit, now)
        if agent.presence is not presence and presence is Presence.AVAILABLE:
            agent.idle_since = now
        agent.presence = presence
        self._sync(agent, now)
        for stay in withdrawn:
            self._queue(stay, now)

    def _answer(self, stay: _Stay, now: datetime) -> None:
        agent = self.agents[stay.agent or ""]
        self.offered_to[agent.day.id].discard(stay.visit.key)
        response = self._response(stay, agent.day.id)
        if response.answer is Answer.ACCEPT:
            stay.state = ItemState.ASSIGNED
            hold = stay.visit.hold_seconds
            if hold is None:
                self.holds_assumed += 1
                hold = self.mean_hold.get(stay.visit.pool, self.any_hold)
            self._at(now + timedelta(seconds=hold), Kind.RELEASE, stay.visit.key, agent.day.id)
            return
        stay.excluded = stay.excluded | {agent.day.id}
        self._give_back(agent, stay.visit, now)
        self._queue(stay, now)
        if response.answer is Answer.EXPIRE:
            agent.presence = Presence.AWAY
        self._sync(agent, now)

    def _free(self, agent: _Agent, visit: Visit, now: datetime) -> None:
        self.stays[visit.key].state = ItemState.DONE
        self._give_back(agent, visit, now)
        self._sync(agent, now)

    def _sync(self, agent: _Agent, now: datetime) -> None:
        """The index learns of the agent's change after the day's dispatch latency, as the
        offer loop learns of a row changed by another transaction on its next sync."""
        if not self.latencies:
            self._decided(self.index.upsert_agent(agent.record(), now=now), now)
        else:
            latency = timedelta(seconds=self.rng.choice(self.latencies))
            self._at(now + latency, Kind.SYNC, agent.day.id)

    def _give_back(self, agent: _Agent, visit: Visit, now: datetime) -> None:
        agent.load[visit.channel] = max(0, agent.load.get(visit.channel, 0) - 1)
        agent.idle_since = now

    def _decided(self, decisions: list[Decision], now: datetime) -> None:
        for decision in decisions:
            stay = self.stays[decision.case_id]
            agent = self.agents[decision.agent_id]
            if not agent.record().can_take(decision.channel):
                self._refused(stay, agent, now)
                continue
            agent.load[decision.channel] = agent.load.get(decision.channel, 0) + 1
            agent.idle_since = now
            stay.state, stay.agent = ItemState.OFFERED, decision.agent_id
            self.offered_to[decision.agent_id].add(stay.visit.key)
            stay.offer += 1
            if stay.first_offer_at is None:
                stay.first_offer_at = now
            self.offers[decision.agent_id] += 1
            response = self._response(stay, decision.agent_id)
            if decision.agent_id not in stay.visit.responses:
                self.answers_assumed += 1
            answer_at = now + timedelta(seconds=response.after_seconds)
            if response.answer is Answer.EXPIRE or answer_at >= decision.offer_expires_at:
                answer_at = decision.offer_expires_at
            self._at(answer_at, Kind.ANSWER, stay.visit.key, decision.agent_id, stay.offer)

    def _refused(self, stay: _Stay, agent: _Agent, now: datetime) -> None:
        """The index, not yet synced, offered to an agent whose row can no longer take it:
        the offer writer refuses it, and the loop reads the agent and then the case again."""
        self.index.forget(stay.visit.key)
        self._decided(self.index.upsert_agent(agent.record(), now=now), now)
        if stay.state is ItemState.WAITING:
            self._queue(stay, now)

    def _response(self, stay: _Stay, agent_id: str) -> Response:
        recorded = stay.visit.responses.get(agent_id)
        return recorded if recorded is not None else Response(Answer.ACCEPT, self.accept_after)

    # -- plumbing ---------------------------------------------------------------------

    def _item(self, stay: _Stay, now: datetime) -> WorkItem:
        visit = stay.visit
        return WorkItem(
            case_id=visit.key,
            pool=visit.pool,
            channel=visit.channel,
            priority=visit.priority,
            enqueued_at=visit.enqueued_at,
            language=visit.language,
            region=visit.region,
            department=visit.department,
            excluded_agents=stay.excluded,
            policy=stay.policy,
            step=stay.step,
            step_started_at=stay.step_started_at or now,
        )

    def _at(
        self, moment: datetime, kind: Kind, key: str, agent_id: str = "", number: int = 0
    ) -> None:
        heapq.heappush(self.heap, (moment, int(kind), next(self.order), key, agent_id, number))


_PRESENCES = tuple(Presence)


def _responses(day: RecordedDay, answer: Answer) -> list[Response]:
    return [r for v in day.visits for r in v.responses.values() if r.answer is answer]


def _mean(values: list[float], otherwise: float) -> float:
    return fmean(values) if values else otherwise
