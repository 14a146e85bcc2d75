"""A raw RFC 5322 message → the e-mail contact model, tolerant of what real mail servers
deliver (see ``email_headers``, ``email_bodies``, ``email_automated``); refused only when it
is not e-mail at all (no header block) or names no sender to answer."""

from __future__ import annotations

import email.policy
import re
from collections.abc import Sequence
from dataclasses import replace
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from typing import Any

from switchboard.intake.domain.contacts import EmailContact
from switchboard.intake.domain.email_automated import AutomatedMail, automated
from switchboard.intake.domain.email_bodies import Bodies, read_bodies
from switchboard.intake.domain.email_headers import (
    first_header,
    mailboxes,
    message_id,
    message_ids,
)

_PARSER = BytesParser(policy=email.policy.default)
_HEADER_LINE = re.compile(rb"^(?:From [^\n]*\n)?[!-9;-~]{1,200}:")
"""A header block starts the message (after an mbox ``From `` line, if any)."""
SENDER_HEADERS = ("From", "Sender", "Reply-To", "Return-Path")
RECIPIENT_HEADERS = ("To", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To")
"""Where the recipient is looked for when ``To:`` is missing (Bcc, undisclosed): the
headers a receiving server adds with the envelope's recipient."""
MAX_TEXT, MAX_HTML, MAX_REFERENCES = 200_000, 1_000_000, 200


class EmailParseError(ValueError):
    """The raw message is not a usable e-mail; ``field`` names the header or part at fault."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def read_email(
    raw: bytes, *, envelope_recipients: Sequence[str] = ()
) -> EmailContact | AutomatedMail:
    """The contact, or why no person wrote it (auto-replies, bounces and delivery reports
    open and reopen no case); pydantic's errors keep the field names of the model."""
    message = _message(raw)
    if (is_automated := automated(message)) is not None:
        return is_automated
    return _contact(message, envelope_recipients)


def read_provider_email(
    head: bytes, bodies: Bodies, *, envelope_recipients: Sequence[str] = ()
) -> EmailContact | AutomatedMail:
    """A message an inbound-mail service parsed: its header block (as the raw message has it,
    or rebuilt from the service's header list) read exactly as raw mail's, with the text,
    HTML and attachments the service extracted instead of the MIME body."""
    message = _message(head)
    if (is_automated := automated(message)) is not None:
        return is_automated
    text, html = (body.replace("\x00", "") if body else None for body in (bodies.text, bodies.html))
    return _contact(message, envelope_recipients, replace(bodies, text=text, html=html))


def parse_raw_email(raw: bytes) -> EmailContact:
    """The contact of a message, automated or not, that names its recipient (``To:`` or a
    header of the envelope's), else an ``EmailParseError`` naming the header."""
    contact = _contact(_message(raw), ())
    if not contact.to:
        raise EmailParseError("To", "the message has no recipient")
    return contact


def _message(raw: bytes) -> EmailMessage:
    if not _HEADER_LINE.match(raw.lstrip(b"\r\n")):
        raise EmailParseError("message", "no RFC 5322 header block (Name: value lines) found")
    message = _PARSER.parsebytes(raw)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise EmailParseError("message", "no RFC 5322 header block (Name: value lines) found")
    return message


def _contact(
    message: EmailMessage, envelope_recipients: Sequence[str], bodies: Bodies | None = None
) -> EmailContact:
    fields = _fields(message, envelope_recipients, bodies or read_bodies(message))
    return EmailContact.model_validate({key: value for key, value in fields.items() if value})


def _fields(
    message: EmailMessage, envelope_recipients: Sequence[str], bodies: Bodies
) -> dict[str, Any]:
    replied_to = message_ids(message, "In-Reply-To")
    references = [*message_ids(message, "References"), *replied_to[1:]]
    return {
        "sender": _sender(message),
        "sender_name": _sender_name(message),
        "to": _recipients(message) or list(envelope_recipients),
        "cc": [each.addr_spec for each in mailboxes(message, "Cc")][:500],
        "subject": (first_header(message, "Subject") or "")[:998],
        "message_id": message_id(message),
        "in_reply_to": replied_to[0] if replied_to else None,
        "references": list(dict.fromkeys(references))[-MAX_REFERENCES:],
        "text_body": bodies.text[:MAX_TEXT] if bodies.text else None,
        "html_body": bodies.html[:MAX_HTML] if bodies.html else None,
        "attachments": bodies.attachments,
        "sent_at": _date(message),
    }


def _sender(message: EmailMessage) -> str:
    for name in SENDER_HEADERS:
        if found := mailboxes(message, name):
            return found[0].addr_spec
    raise EmailParseError("From", "no valid sender address to answer (From, Sender, Reply-To)")


def _sender_name(message: EmailMessage) -> str | None:
    found = mailboxes(message, "From")
    return " ".join(found[0].display_name.split())[:200] or None if found else None


def _recipients(message: EmailMessage) -> list[str]:
    for name in RECIPIENT_HEADERS:
        if found := mailboxes(message, name):
            return list(dict.fromkeys(each.addr_spec for each in found))[:500]
    return []


def _date(message: EmailMessage) -> Any:
    """The Date header when it is a valid date with an offset; a broken one is dropped."""
    value = first_header(message, "Date")
    try:
        sent_at = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return sent_at if sent_at is not None and sent_at.tzinfo else None
