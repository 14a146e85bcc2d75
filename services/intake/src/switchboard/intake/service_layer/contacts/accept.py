"""Accepting a contact: find or create its customer, join, reopen or open its case, record
the contact, publish what happened — idempotently (a retried message gets the original
answer). Staging and writing are apart so that a group commit writes the new rows and the
events of all its contacts with one statement each (``group_commit``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby, islice
from typing import TYPE_CHECKING

from opentelemetry import context as otel_context
from opentelemetry import propagate

from switchboard.contracts.base import Event
from switchboard.contracts.events.cases import ContactOutcome
from switchboard.intake.adapters import repository, row_inserts
from switchboard.intake.adapters.orm import Base, CaseRow, ContactRow, CustomerRow, IdentityRow
from switchboard.intake.domain.channel_adapters import AdapterView
from switchboard.intake.domain.contacts import AnyContact, SocialContact
from switchboard.intake.domain.language import LanguageGuess
from switchboard.intake.domain.priority import escalate_on_reopen
from switchboard.intake.domain.threading import CaseStatus, ThreadAction, decide_thread
from switchboard.intake.domain.values import Priority
from switchboard.intake.service_layer import merge_proposals
from switchboard.intake.service_layer.contacts import case_events
from switchboard.intake.service_layer.personal_fields import sealed

if TYPE_CHECKING:
    from switchboard.intake.service_layer.unit_of_work import IntakeUnitOfWork


@dataclass(frozen=True)
class IncomingContact:
    """A contact whose signature checked out, as its request brought it."""

    adapter: AdapterView
    contact: AnyContact
    webhook_id: str
    language: LanguageGuess
    received_at: datetime
    trace: Mapping[str, str] = field(default_factory=dict)
    """The request's W3C trace context, for its events: they may be written in another task."""

    def lookup(self) -> repository.LookUp:
        return repository.LookUp(
            adapter_id=self.adapter.id,
            webhook_id=self.webhook_id,
            provider_message_id=self.contact.provider_message_id,
            identity_keys=[str(key) for key in self.contact.identities()],
            thread_refs=self.contact.thread_refs,
        )


@dataclass(frozen=True)
class Accepted:
    case_id: str
    contact_id: str
    customer_id: str
    outcome: str
    duplicate: bool = False


@dataclass(frozen=True)
class Staged:
    """What accepting a contact writes: the rows it adds (inserted with Core, see
    ``row_inserts``) and the events it publishes. Changes to existing cases are made on
    their rows in the session and flushed with the transaction."""

    accepted: Accepted
    new_rows: list[Base]
    events: list[Event]
    trace: Mapping[str, str]


async def stage_contact(
    *, uow: IntakeUnitOfWork, incoming: IncomingContact, known: repository.Known | None = None
) -> Staged:
    """Accept one contact on its case (joined, reopened or new) except writing: see
    ``write_staged``. ``known``: what the batch's lookup found for it (else looked up here).

    Nothing is flushed here either: changes to joined cases go in the transaction's flush.
    """
    session = uow.session
    with session.no_autoflush:
        if known is None:
            known = await repository.look_up(session, incoming.lookup())
        if known.earlier is not None:
            earlier = known.earlier
            accepted = Accepted(
                earlier.case_id, earlier.contact_id, earlier.customer_id, earlier.outcome, True
            )
            return Staged(accepted, [], [], incoming.trace)
        return await _accept_new(uow, incoming, known)


async def write_staged(uow: IntakeUnitOfWork, staged: Sequence[Staged]) -> None:
    """Insert the new rows of every staged contact together, seal their events' personal
    fields (the customers' keys read once for the batch), then publish them with one
    statement (one per request's trace context when tracing is on)."""
    await row_inserts.insert_rows(
        uow.session, [row for contact in staged for row in contact.new_rows]
    )
    events = iter(await sealed(uow.session, [e for contact in staged for e in contact.events]))
    for trace, same_trace in groupby(staged, key=lambda contact: contact.trace):
        count = sum(len(contact.events) for contact in same_trace)
        with _within_trace(trace):
            await uow.publish(*islice(events, count))


async def _accept_new(
    uow: IntakeUnitOfWork, incoming: IncomingContact, known: repository.Known
) -> Staged:
    deps, contact, now = uow.deps, incoming.contact, incoming.received_at
    new_rows: list[Base] = []
    customer = await _customer(uow, incoming, known)
    if customer.id not in known.identity_owners.values():  # no identity led to it: it is new
        new_rows.append(customer)
    new_rows.extend(
        IdentityRow(key=key, customer_id=customer.id, created_at=now)
        for key in map(str, contact.identities())
        if key not in known.identity_owners
    )
    locked = await repository.candidate_cases(
        uow.session,
        threaded_case_ids=known.threaded_case_ids,
        customer_id=customer.id if known.identity_owners else None,
        channel=contact.channel,
        reopenable_since=now - deps.reopen_window,
    )
    decision = decide_thread(
        channel=contact.channel,
        candidates=locked.candidates,
        now=now,
        reopen_window=deps.reopen_window,
    )
    contact_id = repository.new_id()
    if len(owners := set(known.identity_owners.values())) > 1:  # probably one person
        await merge_proposals.propose(
            uow.session, customer_ids=owners, contact_id=contact_id, at=now
        )
    priority = deps.priorities.resolve(
        channel=contact.channel,
        requested=contact.priority,
        vip=customer.vip,
        public=isinstance(contact, SocialContact) and contact.visibility == "public",
    )
    events: list[Event] = []
    if decision.action is ThreadAction.OPEN_NEW:
        case = _new_case(uow, incoming, customer, priority)
        new_rows.append(case)
        events.append(
            case_events.case_opened(case, customer, contact, contact_id, incoming.language)
        )
        outcome = ContactOutcome.OPENED
    else:
        assert decision.case_id is not None
        case = locked.rows[decision.case_id]
        case.last_activity_at = now
        outcome = ContactOutcome.JOINED
        if decision.action is ThreadAction.REOPEN:
            previous_resolved_at = case.resolved_at or now
            _reopen(case, priority=priority, language=incoming.language, now=now)
            events.append(
                case_events.case_reopened(
                    case,
                    reason=decision.reason,
                    contact_id=contact_id,
                    reopened_at=now,
                    previous_resolved_at=previous_resolved_at,
                )
            )
            outcome = ContactOutcome.REOPENED
    new_rows.append(_contact_row(incoming, case, contact_id, outcome))
    events.append(
        case_events.contact_received(case, contact, contact_id, outcome, incoming.language, now)
    )
    accepted = Accepted(case.id, contact_id, customer.id, outcome.value)
    return Staged(accepted, new_rows, events, incoming.trace)


async def _customer(
    uow: IntakeUnitOfWork, incoming: IncomingContact, known: repository.Known
) -> CustomerRow:
    """The customer an identity already points to (the oldest if several), else a new one."""
    if known.identity_owners:
        owners = set(known.identity_owners.values())
        owner = await repository.oldest_customer(uow.session, owners)
        if owner is not None:
            return owner
    return CustomerRow(
        id=repository.new_id(),
        display_name=incoming.contact.customer_name,
        region=incoming.adapter.region,
        tier=None,
        vip=False,
        created_at=incoming.received_at,
    )


def _new_case(
    uow: IntakeUnitOfWork, incoming: IncomingContact, customer: CustomerRow, priority: Priority
) -> CaseRow:
    adapter, contact, now = incoming.adapter, incoming.contact, incoming.received_at
    return CaseRow(
        id=repository.new_id(),
        customer_id=customer.id,
        channel=contact.channel.value,
        region=adapter.region or customer.region or uow.deps.default_region,
        department=contact.department or adapter.department,
        status=CaseStatus.OPEN.value,
        priority=int(priority),
        language=incoming.language.tag,
        subject=(contact.subject or "")[:200] or None,
        opened_at=now,
        last_activity_at=now,
    )


def _reopen(case: CaseRow, *, priority: Priority, language: LanguageGuess, now: datetime) -> None:
    case.status = CaseStatus.OPEN.value
    case.reopened_at = now
    case.priority = int(escalate_on_reopen(current=Priority(case.priority), incoming=priority))
    if language.determined:
        case.language = language.tag


def _contact_row(
    incoming: IncomingContact, case: CaseRow, contact_id: str, outcome: ContactOutcome
) -> ContactRow:
    contact, language = incoming.contact, incoming.language
    return ContactRow(
        id=contact_id,
        case_id=case.id,
        customer_id=case.customer_id,
        adapter_id=incoming.adapter.id,
        channel=contact.channel.value,
        outcome=outcome.value,
        received_at=incoming.received_at,
        language=language.tag,
        language_confidence=language.confidence,
        provider_message_id=contact.provider_message_id,
        webhook_id=incoming.webhook_id,
        thread_ref=contact.own_thread_ref,
        text=contact.text,
        request=contact.model_dump(mode="json", by_alias=True, exclude_none=True),
    )


@contextmanager
def _within_trace(trace: Mapping[str, str]) -> Iterator[None]:
    """Publish as part of the request's trace (``uow.publish`` takes the current one)."""
    if not trace:
        yield
        return
    token = otel_context.attach(propagate.extract(dict(trace)))
    try:
        yield
    finally:
        otel_context.detach(token)
