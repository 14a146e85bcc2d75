"""What must hold after a chaos run, checked from every topic read from the start, the
simulator's record of intake's answers and every HTTP exchange the clients had."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import (
    CaseAssigned,
    CaseOpened,
    CaseQueued,
    CaseReopened,
    CaseResolved,
    CaseTransferred,
    ContactReceived,
    EscalationEscalated,
    EscalationRaised,
    SlaBreached,
    SurveyRequested,
)
from switchboard.contracts.events.escalations import RaisedBecause
from switchboard.simulator.api import Call
from switchboard.simulator.report import ContactRecord

Window = tuple[str, float, float]
"""A service (or ``*`` for all) and the monotonic seconds it was down and not yet ready."""


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    checked: int
    """How many things it looked at (contacts, cases, agents, breaches, ...)."""
    violations: int
    example: str = ""

    @classmethod
    def of(cls, name: str, checked: int, bad: Sequence[str]) -> Check:
        """Passed when nothing is ``bad``; the first bad thing is the example."""
        return cls(name, not bad, checked, len(bad), bad[0] if bad else "")


def unique(envelopes: Iterable[Envelope[Any]]) -> list[Envelope[Any]]:
    """Each event once, in the order first read: delivery is at-least-once, and a relay
    that died before marking an event sent publishes it again with the same id."""
    seen: set[str] = set()
    kept = []
    for envelope in envelopes:
        if envelope.id not in seen:
            seen.add(envelope.id)
            kept.append(envelope)
    return kept


def of(envelopes: Sequence[Envelope[Any]], *kinds: type) -> list[Any]:
    return [e.data for e in envelopes if isinstance(e.data, kinds)]


def contacts_in_one_case(
    events: Sequence[Envelope[Any]], accepted: Sequence[ContactRecord], probe_cases: Sequence[str]
) -> Check:
    """Every contact intake answered 202 arrived on the cases topic in exactly the case
    intake named — also those it accepted while the broker was down."""
    cases_of: dict[str, set[str]] = defaultdict(set)
    for received in of(events, ContactReceived):
        cases_of[received.contact_id].add(received.case_id)
    for opened in of(events, CaseOpened):
        cases_of[opened.first_contact_id].add(opened.case_id)
    opened_cases = {opened.case_id for opened in of(events, CaseOpened)}
    bad = [
        f"contact {c.contact_id}: 202 with {c.case_id}, topic {sorted(cases_of[str(c.contact_id)])}"
        for c in accepted
        if cases_of[str(c.contact_id)] != {c.case_id}
    ]
    bad += [f"probe case {case} never opened" for case in probe_cases if case not in opened_cases]
    return Check.of("every 2xx contact in exactly one case", len(accepted) + len(probe_cases), bad)


def case_events_in_order(events: Sequence[Envelope[Any]]) -> Check:
    """On the cases topic each case's contacts appear in the order intake received them,
    after the case opened."""
    opened: set[str] = set()
    last: dict[str, Any] = {}
    bad = []
    cases = 0
    for event in of(events, CaseOpened, ContactReceived, CaseReopened):
        if isinstance(event, CaseOpened):
            opened.add(event.case_id)
            cases += 1
            continue
        if event.case_id not in opened:
            bad.append(f"{type(event).__name__} of {event.case_id} before its CaseOpened")
        if isinstance(event, ContactReceived):
            before = last.get(event.case_id)
            if before is not None and event.received_at < before:
                bad.append(f"{event.case_id}: contact of {event.received_at} after {before}")
            last[event.case_id] = event.received_at
    return Check.of("each case's events in order", cases, bad)


def one_holder_at_a_time(events: Sequence[Envelope[Any]]) -> Check:
    holder: dict[str, str | None] = {}
    bad = []
    for event in of(events, CaseAssigned, CaseTransferred, CaseResolved, CaseQueued):
        if isinstance(event, CaseAssigned):
            current = holder.get(event.case_id)
            if current is not None and current != event.agent_id:
                bad.append(f"{event.case_id} assigned to {event.agent_id} while {current} held it")
            holder[event.case_id] = event.agent_id
        else:
            holder[event.case_id] = None
    return Check.of("no case held by two agents at once", len(holder), bad)


def within_capacity(
    events: Sequence[Envelope[Any]], capacities: Mapping[str, Mapping[str, int]]
) -> Check:
    """No agent ever held more cases of a channel than their capacity allows (assigned and
    not yet resolved, transferred or queued again), in the order the events happened."""
    timeline = sorted(
        (
            e
            for e in events
            if isinstance(e.data, CaseAssigned | CaseTransferred | CaseResolved | CaseQueued)
        ),
        key=lambda e: e.time,
    )
    holding: dict[str, tuple[str, str]] = {}
    load: Counter[tuple[str, str]] = Counter()
    bad = []
    agents: set[str] = set()
    for envelope in timeline:
        event = envelope.data
        if isinstance(event, CaseAssigned):
            if event.case_id in holding:
                load[holding.pop(event.case_id)] -= 1
            key = (event.agent_id, event.channel.value)
            holding[event.case_id] = key
            load[key] += 1
            agents.add(event.agent_id)
            limit = capacities.get(event.agent_id, {}).get(event.channel.value)
            if limit is not None and load[key] > limit:
                bad.append(f"{event.agent_id} held {load[key]} {key[1]} cases (capacity {limit})")
        elif event.case_id in holding:
            load[holding.pop(event.case_id)] -= 1
    known = len(agents & set(capacities))
    return Check.of("no agent over capacity", known, bad)


def one_survey_per_resolved_case(events: Sequence[Envelope[Any]]) -> Check:
    resolved = {event.case_id for event in of(events, CaseResolved)}
    surveys: dict[str, set[str]] = defaultdict(set)
    for request in of(events, SurveyRequested):
        surveys[request.case_id].add(request.survey_id)
    bad = [f"{case}: {len(ids)} surveys" for case, ids in surveys.items() if len(ids) > 1]
    bad += [f"{case}: a survey, never resolved" for case in surveys if case not in resolved]
    return Check.of("at most one survey per resolved case", len(resolved), bad)


def breaches_escalated_once_per_level(events: Sequence[Envelope[Any]]) -> Check:
    """One breach per SLA clock; each breach raises at most one escalation, and each
    escalation climbs to each level (and repeat) at most once."""
    breaches: dict[tuple[str, str], set[str]] = defaultdict(set)
    for breach in of(events, SlaBreached):
        breaches[breach.clock_id, breach.metric.value].add(breach.breached_at.isoformat())
    raised: dict[str, set[str]] = defaultdict(set)
    for escalation in of(events, EscalationRaised):
        if escalation.trigger is RaisedBecause.SLA_BREACH and escalation.trigger_event_id:
            raised[escalation.trigger_event_id].add(escalation.escalation_id)
    climbs: Counter[tuple[str, str, int]] = Counter()
    for step in of(events, EscalationEscalated):
        climbs[step.escalation_id, str(step.to_level), step.repeat] += 1
    bad = [f"clock {key}: breached {len(at)} times" for key, at in breaches.items() if len(at) > 1]
    bad += [f"breach {b}: {len(ids)} escalations" for b, ids in raised.items() if len(ids) > 1]
    bad += [f"escalation {key} reached {n} times" for key, n in climbs.items() if n > 1]
    return Check.of("each SLA breach escalated at most once per level", len(breaches), bad)


def no_dead_letters(dead_letters: Mapping[str, Sequence[str]]) -> Check:
    """Dead-letter topics empty: a fault must delay events, never dead-letter them."""
    total = sum(len(reasons) for reasons in dead_letters.values())
    example = next(
        (f"{topic}: {reasons[0]}" for topic, reasons in dead_letters.items() if reasons), ""
    )
    return Check("no dead letters", total == 0, len(dead_letters), total, example)


def clients_saw_only_2xx_or_503(calls: Sequence[Call]) -> Check:
    """Never a 500 (or any 5xx but 503), and every 503 says when to come back."""
    bad = [
        f"{c.method} {c.service}{c.path}: {c.status}"
        for c in calls
        if c.status is not None
        and c.status >= 500
        and (c.status != 503 or not _retry_after_given(c.retry_after))
    ]
    return Check.of("clients saw no 5xx but 503 with Retry-After", len(calls), bad)


def _retry_after_given(value: str | None) -> bool:
    """A Retry-After a client can act on: delay-seconds above 0, or an HTTP date."""
    if not value:
        return False
    if value.strip().isdigit():
        return int(value) > 0
    try:
        return parsedate_to_datetime(value) is not None
    except (TypeError, ValueError):
        return False


def connection_errors_only_while_down(calls: Sequence[Call], windows: Sequence[Window]) -> Check:
    """A connection failed only to a service while that service was killed and not yet
    ready again (a broker or database outage must not cost a connection)."""

    def excused(call: Call) -> bool:
        return any(
            service in (call.service, "*") and start <= call.at <= end
            for service, start, end in windows
        )

    failed = [c for c in calls if c.error is not None]
    bad = [f"{c.method} {c.service}{c.path}: {c.error}" for c in failed if not excused(c)]
    return Check.of("connection errors only to a killed service", len(failed), bad)


def every_contact_answered(contacts: Sequence[ContactRecord]) -> Check:
    """Each contact the simulator posted was finally answered, and not with a 5xx (the
    simulator tries again through 503s and dropped connections). A contact still being
    tried when the simulator itself stopped (its day over, a service still down) is counted
    apart: the client gave up, nothing was answered or lost."""
    stopped = [c for c in contacts if c.gave_up == "stopped"]
    counted = [c for c in contacts if c.gave_up != "stopped"]
    bad = [
        f"day {c.day} {c.sim_time} {c.channel}: {c.status or c.gave_up or 'no answer'}"
        for c in counted
        if c.status is None or not 0 < c.status < 500
    ]
    return Check.of(
        f"every contact answered (<500; {len(stopped)} still tried when the simulator stopped)",
        len(counted),
        bad,
    )


def routed_after_every_fault(
    outcomes: Sequence[tuple[float | None, float | None]], ready_within: float, within: float
) -> Check:
    """After each fault every service was ready again within ``ready_within`` seconds of
    its restart, and a contact posted then was offered to an agent within ``within``."""
    bad = []
    for index, (ready_after, routed) in enumerate(outcomes, start=1):
        if ready_after is None or ready_after > ready_within:
            bad.append(f"fault {index}: not ready within {ready_within:.0f} s")
        elif routed is None or routed > within:
            bad.append(f"fault {index}: a new contact offered after {routed} s")
    return Check.of(
        f"ready within {ready_within:.0f} s, then a new contact routed within {within:.0f} s",
        len(outcomes),
        bad,
    )
