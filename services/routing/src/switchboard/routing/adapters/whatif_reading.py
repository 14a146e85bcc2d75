"""A day read back from routing's own topics: the assignments (each case's visits to the
queues, its offers and how they were answered) and the agent status changes (presence, and
the load that tells when a wrap-up freed a slot).

The topics say nothing of an agent's pools, skills or languages: those come from the
agents as routing has them registered (``profiles``), or, for an agent routing no longer
knows, its region as its only pool.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from switchboard.contracts.base import Event
from switchboard.contracts.events import (
    AgentStatusChanged,
    CaseAssigned,
    CaseOffered,
    CaseQueued,
    CaseResolved,
    CaseTransferred,
    OfferDeclined,
    OfferExpired,
)
from switchboard.contracts.events.assignments import QueueReason
from switchboard.contracts.events.common import ActorKind
from switchboard.contracts.events.explanation import DecisionTrigger
from switchboard.routing.domain.model import Channel, Presence
from switchboard.routing.domain.whatif.recording import (
    AgentDay,
    Answer,
    RecordedDay,
    Response,
    Visit,
)

NEW_VISIT = frozenset({QueueReason.NEW, QueueReason.REOPENED, QueueReason.TRANSFER})
"""A case queued for these reasons starts a new visit; the others put it back in the queue
of the visit it is on (a broader step, a refused offer)."""

PRESENCE_OF_WIRE = {"wrap_up": Presence.BUSY}
AGENT_FREED = DecisionTrigger.AGENT_FREED


@dataclass
class _Stay:
    visit: Visit
    offers: dict[str, datetime] = field(default_factory=dict)
    responses: dict[str, Response] = field(default_factory=dict)
    holder: str | None = None
    accepted_at: datetime | None = None
    resolved_at: datetime | None = None
    released_at: datetime | None = None


def recorded_day(
    events: Iterable[Event],
    *,
    start: datetime,
    end: datetime,
    profiles: Mapping[str, AgentDay] | None = None,
) -> RecordedDay:
    """Fold the events of both topics (each in its topic's order) into the day between
    ``start`` and ``end``; agent status before ``start`` gives each agent's presence then."""
    stays: dict[str, _Stay] = {}
    current: dict[str, _Stay] = {}
    refused: dict[str, set[str]] = defaultdict(set)  # per case: agents it excludes
    not_wrap_ups: set[tuple[str, datetime]] = set()
    statuses: list[AgentStatusChanged] = []
    freed_offers: list[CaseOffered] = []
    for event in events:
        if isinstance(event, CaseOffered) and event.explanation.trigger is AGENT_FREED:
            freed_offers.append(event)
        if isinstance(event, AgentStatusChanged):
            statuses.append(event)
        elif isinstance(event, CaseQueued):
            if event.reason is QueueReason.REOPENED:
                refused.pop(event.case_id, None)
            _queued(event, stays, current, frozenset(refused[event.case_id]), start=start, end=end)
        elif (stay := current.get(event.case_id)) is not None:  # type: ignore[attr-defined]
            _answered(event, stay, not_wrap_ups)
        if isinstance(event, CaseTransferred) and event.from_agent_id:
            not_wrap_ups.add((event.from_agent_id, event.transferred_at))
            refused[event.case_id].add(event.from_agent_id)
        if isinstance(event, OfferDeclined | OfferExpired):
            refused[event.case_id].add(event.agent_id)
    not_wrap_ups |= {
        (status.agent_id, status.changed_at)
        for status in statuses
        if status.presence != status.previous_presence
    }
    agents = _agents(statuses, start=start, end=end, profiles=profiles or {})
    _release_wrap_ups(stays.values(), _load_drops(statuses, not_wrap_ups))
    visits = tuple(sorted((_finished(stay) for stay in stays.values()), key=lambda v: v.at))
    return RecordedDay(
        start=start,
        end=end,
        visits=visits,
        agents=agents,
        dispatch_seconds=_dispatch_seconds(freed_offers, statuses),
    )


def _queued(
    event: CaseQueued,
    stays: dict[str, _Stay],
    current: dict[str, _Stay],
    excluded: frozenset[str],
    *,
    start: datetime,
    end: datetime,
) -> None:
    if event.reason not in NEW_VISIT:
        return
    current.pop(event.case_id, None)
    if not start <= event.queued_at < end:
        return
    key = f"{event.case_id}#{sum(1 for k in stays if k.startswith(event.case_id + '#')) + 1}"
    visit = Visit(
        key=key,
        case_id=event.case_id,
        at=event.queued_at,
        enqueued_at=event.enqueued_at,
        pool=event.queue_id,
        channel=Channel(event.channel.value),
        priority=int(event.priority),
        language=event.language,
        region=event.region,
        department=event.department or "",
        policy=event.policy_id,
        excluded=excluded,
    )
    stays[key] = current[event.case_id] = _Stay(visit)


def _answered(event: Event, stay: _Stay, not_wrap_ups: set[tuple[str, datetime]]) -> None:
    if isinstance(event, CaseOffered):
        stay.offers[event.agent_id] = event.offered_at
        if stay.visit.first_offer_at is None:
            stay.visit = replace(stay.visit, first_offer_at=event.offered_at)
    elif isinstance(event, CaseAssigned):
        _respond(stay, event.agent_id, Answer.ACCEPT, event.assigned_at)
        stay.holder, stay.accepted_at = event.agent_id, event.assigned_at
    elif isinstance(event, OfferDeclined):
        _respond(stay, event.agent_id, Answer.DECLINE, event.declined_at)
        not_wrap_ups.add((event.agent_id, event.declined_at))
    elif isinstance(event, OfferExpired):
        _respond(stay, event.agent_id, Answer.EXPIRE, event.expired_at)
        not_wrap_ups.add((event.agent_id, event.expired_at))
    elif isinstance(event, CaseResolved) and event.agent_id == stay.holder:
        stay.resolved_at = event.resolved_at
    elif isinstance(event, CaseTransferred) and stay.holder and stay.released_at is None:
        stay.released_at = event.transferred_at


def _respond(stay: _Stay, agent_id: str, answer: Answer, at: datetime) -> None:
    offered_at = stay.offers.get(agent_id)
    if offered_at is not None and agent_id not in stay.responses:
        stay.responses[agent_id] = Response(answer, max(0.0, (at - offered_at).total_seconds()))


def _finished(stay: _Stay) -> Visit:
    hold = None
    if stay.accepted_at is not None and stay.released_at is not None:
        hold = max(0.0, (stay.released_at - stay.accepted_at).total_seconds())
    return replace(stay.visit, responses=dict(stay.responses), hold_seconds=hold)


def _load_drops(
    statuses: list[AgentStatusChanged], not_wrap_ups: set[tuple[str, datetime]]
) -> dict[tuple[str, Channel], list[datetime]]:
    """Per agent and channel, when a slot was given back by a finished wrap-up: a load
    that fell, at a moment no decline, expiry, transfer or presence change explains."""
    last: dict[str, dict[str, int]] = {}
    drops: dict[tuple[str, Channel], list[datetime]] = defaultdict(list)
    for status in statuses:
        loads = {each.channel.value: each.load for each in status.channels}
        before = last.get(status.agent_id, {})
        last[status.agent_id] = loads
        if (status.agent_id, status.changed_at) in not_wrap_ups:
            continue
        for channel, load in loads.items():
            for _ in range(max(0, before.get(channel, 0) - load)):
                drops[(status.agent_id, Channel(channel))].append(status.changed_at)
    return drops


def _release_wrap_ups(
    stays: Iterable[_Stay], drops: dict[tuple[str, Channel], list[datetime]]
) -> None:
    """Each slot given back goes to the agent's earliest resolved case still holding one."""
    resolved: dict[tuple[str, Channel], list[_Stay]] = defaultdict(list)
    for stay in stays:
        if stay.holder and stay.resolved_at is not None and stay.released_at is None:
            resolved[(stay.holder, stay.visit.channel)].append(stay)
    for key, waiting in resolved.items():
        waiting.sort(key=lambda s: s.resolved_at or s.visit.at)
        for dropped_at in sorted(drops.get(key, [])):
            for stay in waiting:
                if stay.released_at is None and stay.resolved_at and stay.resolved_at <= dropped_at:
                    stay.released_at = dropped_at
                    break


def _agents(
    statuses: list[AgentStatusChanged],
    *,
    start: datetime,
    end: datetime,
    profiles: Mapping[str, AgentDay],
) -> tuple[AgentDay, ...]:
    """Every agent seen on the agent-status topic or registered, with its own presence
    changes until ``end`` (the last before ``start`` stands at ``start``)."""
    changes: dict[str, list[tuple[datetime, Presence]]] = defaultdict(list)
    seen: dict[str, AgentStatusChanged] = {}
    for status in statuses:
        if status.changed_at >= end:
            continue
        seen[status.agent_id] = status
        by_routing = status.by is not None and status.by.kind is ActorKind.SYSTEM
        if by_routing or status.presence == status.previous_presence:
            continue
        presence = PRESENCE_OF_WIRE.get(status.presence.value) or Presence(status.presence.value)
        changes[status.agent_id].append((max(status.changed_at, start), presence))
    agents = []
    # The agents this routing knows; with none registered (a day read without its
    # database), every agent the topic shows.
    for agent_id in sorted(set(profiles) or set(seen)):
        known = profiles.get(agent_id)
        if known is None:
            last = seen[agent_id]
            known = AgentDay(
                id=agent_id,
                pools=frozenset({last.region}),
                region=last.region,
                team=last.team or "",
                capacity={Channel(c.channel.value): c.capacity for c in last.channels},
            )
        timeline = sorted(changes.get(agent_id, []), key=lambda change: change[0])
        agents.append(replace(known, presence=_from_start(timeline, start)))
    return tuple(agents)


def _from_start(
    timeline: list[tuple[datetime, Presence]], start: datetime
) -> tuple[tuple[datetime, Presence], ...]:
    """Changes at ``start`` collapse into the last of them (the presence at the start)."""
    before = [change for change in timeline if change[0] <= start]
    after = [change for change in timeline if change[0] > start]
    return tuple(before[-1:] + after)


def _dispatch_seconds(
    offers: list[CaseOffered], statuses: list[AgentStatusChanged]
) -> tuple[float, ...]:
    """Each time from an agent's freeing change (a load that fell, presence now
    available) to the first offer it caused."""
    freed: dict[str, list[datetime]] = defaultdict(list)
    last: dict[str, dict[str, int]] = {}
    for status in statuses:
        loads = {each.channel.value: each.load for each in status.channels}
        before = last.get(status.agent_id, {})
        last[status.agent_id] = loads
        fell = any(loads.get(channel, 0) < count for channel, count in before.items())
        back = status.presence.value == "available" and status.previous_presence != status.presence
        if fell or back:
            freed[status.agent_id].append(status.changed_at)
    for moments in freed.values():
        moments.sort()
    gaps: dict[tuple[str, datetime], float] = {}
    for offer in offers:
        moments = freed.get(offer.agent_id, [])
        at = bisect.bisect_right(moments, offer.offered_at)
        if at:
            key = (offer.agent_id, moments[at - 1])
            gap = (offer.offered_at - moments[at - 1]).total_seconds()
            gaps[key] = min(gap, gaps.get(key, gap))
    return tuple(sorted(gaps.values()))
