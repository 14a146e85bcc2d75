"""Problems across regions: every inbound contact's terms counted, a topic rising in two or
more regions at once detected and told to the coordinators of every region it touches
(published on the problems topic and queued for their webhooks in the same transaction),
acknowledged per region, and notes shared among those regions' coordinators."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from prometheus_client import Counter

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import ContactReceived
from switchboard.contracts.events.cases import Direction
from switchboard.contracts.events.common import Actor, ActorKind, Sealed
from switchboard.contracts.events.problems import (
    ExampleMessage,
    ProblemAcknowledged,
    ProblemDetected,
    ProblemNoteAdded,
    RegionCount,
)
from switchboard.escalation.adapters import problems as store
from switchboard.escalation.adapters.config_store import LoadedConfig
from switchboard.escalation.adapters.problems import (
    ProblemContactRow,
    ProblemNoteRow,
    ProblemRow,
)
from switchboard.escalation.domain.problem import Acknowledgement, Problem, ProblemError
from switchboard.escalation.domain.problem_detection import Detection
from switchboard.escalation.domain.regions import can_act
from switchboard.escalation.service_layer.escalations import InvalidTransition, NotAllowed
from switchboard.escalation.service_layer.notifications import publish_with_webhooks
from switchboard.escalation.service_layer.personal_fields import contact_text
from switchboard.escalation.service_layer.unit_of_work import EscalationUnitOfWork
from switchboard.servicekit.auth import Principal, Role
from switchboard.servicekit.sealing import seal

PROBLEMS_DETECTED = Counter(
    "escalation_problems_detected_total", "Problems detected across regions"
)
EXCERPT = 300


class ProblemNotFound(LookupError):
    pass


def _coordinators(loaded: LoadedConfig, regions: list[str]) -> tuple[str, ...]:
    found = (c.coordinator_id for r in regions for c in loaded.book.directory.covering(r))
    return tuple(dict.fromkeys(found))


async def count_contact(message: Envelope[ContactReceived], uow: EscalationUnitOfWork) -> None:
    """Count an inbound contact's terms; publish the problems it makes rise."""
    contact = message.data
    watch = uow.deps.problems
    if contact.direction is not Direction.INBOUND:
        return
    text = await contact_text(uow, contact)
    if not text.strip():
        return
    uow.session.add(
        ProblemContactRow(
            contact_id=contact.contact_id,
            at=contact.received_at,
            region=contact.region,
            language=contact.language,
            terms=" ".join(sorted(watch.terms(contact.language, text))),
            excerpt=text[:EXCERPT],
            customer_id=contact.customer_id,
            sealed=contact.sealed is not None,
        )
    )
    await uow.session.flush()
    # The detector counts this contact and takes its problems for told before they commit.
    uow.after_rollback(watch.rebuild_later)
    detections = await watch.catch_up(uow.session, now=contact.received_at)
    for detection in detections:
        await _tell(uow, detection)


async def _tell(uow: EscalationUnitOfWork, detection: Detection) -> None:
    # Every replica counts every replica's contacts: the first to tell a problem tells it;
    # the others find it (after the lock) and keep it as theirs instead of telling it again.
    await store.lock_telling(uow.session)
    watch = uow.deps.problems
    twin = await store.twin_of(
        uow.session,
        terms=detection.terms,
        regions=detection.regions,
        since=detection.detected_at - 3 * watch.settings.window,
    )
    if twin is not None:
        if watch.detector is not None:
            watch.detector.track(twin.problem_id, twin.terms, twin.regions, twin.detected_at)
        return
    # Only texts whose row is still there: an erased customer's row is gone while the
    # detector's window may still hold the text, and it must not come back as an example.
    authors = await store.authors_of(uow.session, [c.contact_id for c in detection.examples])
    examples = [
        {
            "language": c.language,
            "region": c.region,
            "text": c.text[:EXCERPT],
            "customer_id": authors[c.contact_id][0],
            "sealed": authors[c.contact_id][1],
        }
        for c in detection.examples
        if c.contact_id in authors
    ]
    regions = list(detection.regions)
    uow.session.add(
        ProblemRow(
            problem_id=detection.problem_id,
            terms=list(detection.terms),
            regions=regions,
            counts=dict(detection.counts),
            examples=examples,
            acknowledgements={},
            first_seen=detection.first_seen,
            detected_at=detection.detected_at,
        )
    )
    loaded = await uow.deps.config.current(uow.session)
    recipients = _coordinators(loaded, regions)
    event = ProblemDetected(
        problem_id=detection.problem_id,
        terms=detection.terms[:20],
        regions=detection.regions,
        counts=tuple(RegionCount(region=r, contacts=n) for r, n in detection.counts.items()),
        examples=tuple([await _example(uow, e) for e in examples[:50]]),
        first_seen=detection.first_seen,
        detected_at=detection.detected_at,
        targets=tuple(Actor(kind=ActorKind.COORDINATOR, id=c) for c in recipients[:100]),
    )
    await publish_with_webhooks(uow=uow, loaded=loaded, event=event, recipients=recipients)
    PROBLEMS_DETECTED.inc()


async def _example(uow: EscalationUnitOfWork, example: dict[str, Any]) -> ExampleMessage:
    """An example for the event: its text sealed under its customer's key (the topic keeps
    it for good; the key is destroyed when the customer is erased) when intake sent it
    sealed, plain when it came plain."""
    keys, customer_id = uow.deps.personal_keys, example["customer_id"]
    language, region = example["language"], example["region"]
    if keys is None or not example["sealed"]:
        return ExampleMessage(language=language, region=region, text=example["text"])
    key = await keys.key(customer_id) if customer_id else None
    if key is None:  # erased meanwhile (or unknown): the example goes without its text
        return ExampleMessage(language=language, region=region)
    parts = seal({"text": example["text"]}, key_id=customer_id, key=key)
    sealed = Sealed(key_id=parts.key_id, nonce=parts.nonce, ciphertext=parts.ciphertext)
    return ExampleMessage(language=language, region=region, sealed=sealed)


def _problem(row: ProblemRow) -> Problem:
    return Problem(
        problem_id=row.problem_id,
        regions=frozenset(row.regions),
        acknowledgements={
            region: Acknowledgement(ack["by"], datetime.fromisoformat(ack["at"]))
            for region, ack in row.acknowledgements.items()
        },
    )


async def _touched_problem(
    uow: EscalationUnitOfWork, problem_id: str, principal: Principal
) -> ProblemRow:
    row = await store.problem_for_update(uow.session, problem_id)
    if row is None or not any(principal.covers(r) for r in row.regions):
        raise ProblemNotFound(problem_id)
    return row


async def acknowledge(
    *,
    uow: EscalationUnitOfWork,
    problem_id: str,
    region: str,
    principal: Principal,
    at: datetime,
) -> ProblemRow:
    """A coordinator of one of the touched regions takes the problem for that region."""
    row = await _touched_problem(uow, problem_id, principal)
    if not can_act(principal, region):
        raise NotAllowed(f"only a coordinator of region {region!r} may acknowledge it there")
    try:
        problem = _problem(row).acknowledge(region=region, by=principal.subject, at=at)
    except ProblemError as error:
        raise InvalidTransition(str(error)) from error
    row.acknowledgements = {
        r: {"by": a.by, "at": a.at.isoformat()} for r, a in problem.acknowledgements.items()
    }
    loaded = await uow.deps.config.current(uow.session)
    event = ProblemAcknowledged(
        problem_id=problem_id,
        region=region,
        by=Actor(kind=ActorKind.COORDINATOR, id=principal.subject),
        acknowledged_at=at,
    )
    recipients = _coordinators(loaded, list(row.regions))
    await publish_with_webhooks(uow=uow, loaded=loaded, event=event, recipients=recipients)
    return row


async def add_note(
    *,
    uow: EscalationUnitOfWork,
    problem_id: str,
    note: str,
    principal: Principal,
    at: datetime,
) -> ProblemNoteRow:
    """A coordinator of a touched region shares a note with every touched region's."""
    row = await _touched_problem(uow, problem_id, principal)
    if principal.role not in (Role.COORDINATOR, Role.ADMIN):
        raise NotAllowed("only coordinators and admins write notes on problems")
    writer_regions = None if principal.role is Role.ADMIN else principal.regions
    try:
        region = _problem(row).note_region(writer_regions)
    except ProblemError as error:
        raise NotAllowed(str(error)) from error
    added = ProblemNoteRow(
        note_id=str(uuid.uuid4()),
        problem_id=problem_id,
        region=region,
        author=principal.subject,
        note=note,
        added_at=at,
    )
    uow.session.add(added)
    loaded = await uow.deps.config.current(uow.session)
    recipients = _coordinators(loaded, list(row.regions))
    event = ProblemNoteAdded(
        problem_id=problem_id,
        note_id=added.note_id,
        region=region,
        by=Actor(kind=ActorKind.COORDINATOR, id=principal.subject),
        note=note,
        added_at=at,
        targets=tuple(Actor(kind=ActorKind.COORDINATOR, id=c) for c in recipients[:100]),
    )
    await publish_with_webhooks(uow=uow, loaded=loaded, event=event, recipients=recipients)
    return added
