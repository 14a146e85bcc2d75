"""Commands and event handlers; every state change writes its events to the outbox in the
same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import CaseOpened, CaseReopened, CaseResolved, ContactReceived
from switchboard.contracts.events.cases import ContactOutcome, ReopenReason
from switchboard.intake.adapter_registry import AdapterView
from switchboard.intake.adapters import repository, row_inserts
from switchboard.intake.adapters.orm import Base, Case, Contact, Customer, Identity
from switchboard.intake.domain.contacts import AnyContact, SocialContact
from switchboard.intake.domain.language import LanguageGuess
from switchboard.intake.domain.priority import PriorityPolicy, escalate_on_reopen
from switchboard.intake.domain.threading import (
    CaseStatus,
    ThreadAction,
    ThreadReason,
    decide_thread,
)
from switchboard.intake.domain.values import Channel, Priority
from switchboard.servicekit.outbox import add_events

SOURCE = "/switchboard/intake"
EXCERPT_CHARACTERS = 1000


@dataclass(frozen=True)
class Accepted:
    case_id: str
    contact_id: str
    customer_id: str
    outcome: str
    duplicate: bool = False


@dataclass(frozen=True)
class Intake:
    """What accepting a contact needs besides the request: the configured policies."""

    priorities: PriorityPolicy
    reopen_window: timedelta
    default_region: str


@dataclass(frozen=True)
class Staged:
    """What accepting a contact writes: the rows it adds (inserted with Core, see
    ``row_inserts``) and the events it emits. Changes to existing cases are made on their
    rows in the session and flushed with the transaction."""

    accepted: Accepted
    new_rows: list[Base]
    events: list[Envelope[Event]]


async def write_staged(session: AsyncSession, staged: Sequence[Staged]) -> None:
    """Insert the new rows of every staged contact together, then their events."""
    await row_inserts.insert_rows(session, [row for contact in staged for row in contact.new_rows])
    await add_events(session, [event for contact in staged for event in contact.events])


async def stage_contact(
    *,
    session: AsyncSession,
    intake: Intake,
    adapter: AdapterView,
    contact: AnyContact,
    webhook_id: str,
    language: LanguageGuess,
    now: datetime,
    known: repository.Known | None = None,
    trace: dict[str, str] | None = None,
) -> Staged:
    """Accept one contact on its case (joined, reopened or new), idempotently, except
    writing: ``write_staged`` inserts the rows and events of a group commit's contacts
    together (``row_inserts``, one outbox statement).

    Nothing is flushed here either: changes to joined cases go in the transaction's flush.
    """
    new_rows: list[Base] = []
    with session.no_autoflush:
        accepted, events = await _accept(
            new_rows,
            session=session,
            intake=intake,
            adapter=adapter,
            contact=contact,
            webhook_id=webhook_id,
            language=language,
            now=now,
            known=known,
        )
    envelopes: list[Envelope[Event]] = [
        Envelope(source=SOURCE, time=now, data=event, trace=trace or {}) for event in events
    ]
    return Staged(accepted, new_rows, envelopes)


def lookup_of(adapter: AdapterView, contact: AnyContact, webhook_id: str) -> repository.LookUp:
    return repository.LookUp(
        adapter_id=adapter.id,
        webhook_id=webhook_id,
        provider_message_id=contact.provider_message_id,
        identity_keys=[str(key) for key in contact.identities()],
        thread_refs=contact.thread_refs,
    )


async def _accept(
    new_rows: list[Base],
    *,
    session: AsyncSession,
    intake: Intake,
    adapter: AdapterView,
    contact: AnyContact,
    webhook_id: str,
    language: LanguageGuess,
    now: datetime,
    known: repository.Known | None,
) -> tuple[Accepted, list[Event]]:
    identity_keys = [str(key) for key in contact.identities()]
    if known is None:
        known = await repository.look_up(session, lookup_of(adapter, contact, webhook_id))
    if known.earlier is not None:
        earlier = known.earlier
        accepted = Accepted(
            earlier.case_id, earlier.contact_id, earlier.customer_id, earlier.outcome, True
        )
        return accepted, []
    customer = await _customer(session, known=known, adapter=adapter, contact=contact, now=now)
    if customer.id not in known.identity_owners.values():  # no identity led to it: it is new
        new_rows.append(customer)
    new_rows.extend(
        Identity(key=key, customer_id=customer.id, created_at=now)
        for key in identity_keys
        if key not in known.identity_owners
    )
    locked = await repository.candidate_cases(
        session,
        threaded_case_ids=known.threaded_case_ids,
        customer_id=customer.id if known.identity_owners else None,
        channel=contact.channel,
        reopenable_since=now - intake.reopen_window,
    )
    decision = decide_thread(
        channel=contact.channel,
        candidates=locked.candidates,
        now=now,
        reopen_window=intake.reopen_window,
    )
    contact_id = repository.new_id()
    priority = intake.priorities.resolve(
        channel=contact.channel,
        requested=contact.priority,
        vip=customer.vip,
        public=isinstance(contact, SocialContact) and contact.visibility == "public",
    )
    events: list[Event] = []
    if decision.action is ThreadAction.OPEN_NEW:
        case = _open_case(
            intake=intake,
            adapter=adapter,
            customer=customer,
            contact=contact,
            priority=priority,
            language=language,
            now=now,
        )
        new_rows.append(case)
        events.append(_case_opened(case, customer, contact, contact_id, language))
        outcome = ContactOutcome.OPENED
    else:
        assert decision.case_id is not None
        case = locked.rows[decision.case_id]
        case.last_activity_at = now
        case.version += 1
        outcome = ContactOutcome.JOINED
        if decision.action is ThreadAction.REOPEN:
            events.append(
                _reopen(
                    case,
                    reason=decision.reason,
                    contact_id=contact_id,
                    priority=priority,
                    language=language,
                    now=now,
                )
            )
            outcome = ContactOutcome.REOPENED
    new_rows.append(
        _contact_row(
            adapter=adapter,
            case=case,
            contact=contact,
            contact_id=contact_id,
            webhook_id=webhook_id,
            outcome=outcome,
            language=language,
            now=now,
        )
    )
    events.append(_contact_received(case, contact, contact_id, outcome, language, now))
    return Accepted(case.id, contact_id, customer.id, outcome.value), events


async def _customer(
    session: AsyncSession,
    *,
    known: repository.Known,
    adapter: AdapterView,
    contact: AnyContact,
    now: datetime,
) -> Customer:
    """The customer an identity already points to (the oldest if several), else a new one."""
    if known.identity_owners:
        owner = await repository.oldest_customer(session, set(known.identity_owners.values()))
        if owner is not None:
            return owner
    return Customer(
        id=repository.new_id(),
        display_name=contact.customer_name,
        region=adapter.region,
        tier=None,
        vip=False,
        created_at=now,
    )


def _open_case(
    *,
    intake: Intake,
    adapter: AdapterView,
    customer: Customer,
    contact: AnyContact,
    priority: Priority,
    language: LanguageGuess,
    now: datetime,
) -> Case:
    return Case(
        id=repository.new_id(),
        customer_id=customer.id,
        channel=contact.channel.value,
        region=adapter.region or customer.region or intake.default_region,
        department=contact.department or adapter.department,
        status=CaseStatus.OPEN.value,
        priority=int(priority),
        language=language.tag,
        subject=(contact.subject or "")[:200] or None,
        opened_at=now,
        last_activity_at=now,
        version=1,
    )


def _case_opened(
    case: Case, customer: Customer, contact: AnyContact, contact_id: str, language: LanguageGuess
) -> Event:
    return CaseOpened(
        case_id=case.id,
        customer_id=customer.id,
        region=case.region,
        channel=Channel(case.channel),
        opened_at=case.opened_at,
        first_contact_id=contact_id,
        language=language.tag,
        language_confidence=language.confidence,
        priority=Priority(case.priority),
        subject=case.subject,
        summary=contact.text[:EXCERPT_CHARACTERS] or None,
        customer_tier=customer.tier,
        vip=customer.vip,
        department=case.department,
        thread_ref=_conversation_ref(contact),
    )


def _reopen(
    case: Case,
    *,
    reason: ThreadReason,
    contact_id: str,
    priority: Priority,
    language: LanguageGuess,
    now: datetime,
) -> Event:
    previous_resolved_at = case.resolved_at or now
    case.status = CaseStatus.OPEN.value
    case.reopened_at = now
    case.priority = int(escalate_on_reopen(current=Priority(case.priority), incoming=priority))
    if language.determined:
        case.language = language.tag
    return CaseReopened(
        case_id=case.id,
        customer_id=case.customer_id,
        region=case.region,
        channel=Channel(case.channel),
        reopened_at=now,
        reason=ReopenReason.CUSTOMER_REPLY
        if reason is ThreadReason.SAME_THREAD
        else ReopenReason.REPEAT_CONTACT,
        contact_id=contact_id,
        previous_resolved_at=previous_resolved_at,
        priority=Priority(case.priority),
        language=case.language,
    )


def _contact_row(
    *,
    adapter: AdapterView,
    case: Case,
    contact: AnyContact,
    contact_id: str,
    webhook_id: str,
    outcome: ContactOutcome,
    language: LanguageGuess,
    now: datetime,
) -> Contact:
    return Contact(
        id=contact_id,
        case_id=case.id,
        customer_id=case.customer_id,
        adapter_id=adapter.id,
        channel=contact.channel.value,
        outcome=outcome.value,
        received_at=now,
        language=language.tag,
        language_confidence=language.confidence,
        provider_message_id=contact.provider_message_id,
        webhook_id=webhook_id,
        thread_ref=contact.own_thread_ref,
        text=contact.text,
        request=contact.model_dump(mode="json", by_alias=True, exclude_none=True),
    )


def _contact_received(
    case: Case,
    contact: AnyContact,
    contact_id: str,
    outcome: ContactOutcome,
    language: LanguageGuess,
    now: datetime,
) -> Event:
    text = contact.text
    return ContactReceived(
        case_id=case.id,
        customer_id=case.customer_id,
        region=case.region,
        channel=Channel(case.channel),
        contact_id=contact_id,
        received_at=now,
        outcome=outcome,
        language=language.tag,
        language_confidence=language.confidence,
        text=text[:EXCERPT_CHARACTERS],
        text_truncated=len(text) > EXCERPT_CHARACTERS,
        provider_message_id=(contact.provider_message_id or "")[:998] or None,
        thread_ref=_conversation_ref(contact),
    )


def _conversation_ref(contact: AnyContact) -> str | None:
    ref = contact.own_thread_ref
    return ref.split(":", 1)[1][:998] if ref else None


async def record_resolution(session: AsyncSession, envelope: Envelope[CaseResolved]) -> None:
    """Routing resolved a case: its thread stays reopenable for the window, then closes.

    A resolution older than the case's latest reopening is history and changes nothing.
    """
    resolved = envelope.data
    case = await session.get(Case, resolved.case_id, with_for_update=True)
    if case is None:
        return
    if case.reopened_at is not None and resolved.resolved_at <= case.reopened_at:
        return
    case.status = CaseStatus.RESOLVED.value
    case.resolved_at = resolved.resolved_at
    case.version += 1
