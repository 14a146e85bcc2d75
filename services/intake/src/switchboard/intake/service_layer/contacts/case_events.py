"""The events on the cases topic that accepting a contact publishes, built from its rows."""

from __future__ import annotations

from datetime import datetime

from switchboard.contracts.events import CaseOpened, CaseReopened, ContactReceived
from switchboard.contracts.events.cases import ContactOutcome, ReopenReason
from switchboard.intake.adapters.orm import CaseRow, CustomerRow
from switchboard.intake.domain.contacts import AnyContact
from switchboard.intake.domain.language import LanguageGuess
from switchboard.intake.domain.threading import ThreadReason
from switchboard.intake.domain.values import Channel, Priority

EXCERPT_CHARACTERS = 1000
"""Events carry the start of a contact's text; the whole of it stays in intake."""


def case_opened(
    case: CaseRow,
    customer: CustomerRow,
    contact: AnyContact,
    contact_id: str,
    language: LanguageGuess,
) -> CaseOpened:
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


def case_reopened(
    case: CaseRow,
    *,
    reason: ThreadReason,
    contact_id: str,
    reopened_at: datetime,
    previous_resolved_at: datetime,
) -> CaseReopened:
    """For a case row already reopened (its priority and language are the new ones)."""
    return CaseReopened(
        case_id=case.id,
        customer_id=case.customer_id,
        region=case.region,
        channel=Channel(case.channel),
        reopened_at=reopened_at,
        reason=ReopenReason.CUSTOMER_REPLY
        if reason is ThreadReason.SAME_THREAD
        else ReopenReason.REPEAT_CONTACT,
        contact_id=contact_id,
        previous_resolved_at=previous_resolved_at,
        priority=Priority(case.priority),
        language=case.language,
    )


def contact_received(
    case: CaseRow,
    contact: AnyContact,
    contact_id: str,
    outcome: ContactOutcome,
    language: LanguageGuess,
    now: datetime,
) -> ContactReceived:
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
