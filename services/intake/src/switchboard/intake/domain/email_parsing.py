"""A raw RFC 5322 message → the e-mail contact model, with the standard library's parser."""

from __future__ import annotations

import email.policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from typing import Any

from switchboard.intake.domain.contacts import Attachment, EmailContact

_PARSER = BytesParser(policy=email.policy.default)


class EmailParseError(ValueError):
    """The raw message is not a usable e-mail; ``field`` names the header or part at fault."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def parse_raw_email(raw: bytes) -> EmailContact:
    """Parse one message; pydantic's validation errors keep the field names of the model."""
    message = _PARSER.parsebytes(raw)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise EmailParseError("message", "no RFC 5322 headers found")
    fields: dict[str, Any] = {
        "sender": _sender(message),
        "sender_name": _sender_name(message),
        "to": _addresses(message, "To") or _addresses(message, "Delivered-To"),
        "cc": _addresses(message, "Cc"),
        "subject": str(message.get("Subject", "")),
        "message_id": _header(message, "Message-ID"),
        "in_reply_to": _first_message_id(message, "In-Reply-To"),
        "references": _message_ids(message, "References"),
        "text_body": _body_text(message, "plain"),
        "html_body": _body_text(message, "html"),
        "attachments": _attachments(message),
        "sent_at": _date(message),
    }
    if not fields["to"]:
        raise EmailParseError("To", "the message has no recipient")
    return EmailContact.model_validate({k: v for k, v in fields.items() if v is not None})


def _header_object(message: EmailMessage, name: str) -> Any:
    try:
        return message[name]
    except (ValueError, IndexError, TypeError) as error:
        raise EmailParseError(name, f"cannot be parsed ({error})") from error


def _header(message: EmailMessage, name: str) -> str | None:
    value = _header_object(message, name)
    return str(value).strip() or None if value is not None else None


def _mailboxes(message: EmailMessage, name: str) -> list[Address]:
    header = _header_object(message, name)
    if header is None:
        return []
    addresses = getattr(header, "addresses", ())
    return [address for address in addresses if address.addr_spec and "@" in address.addr_spec]


def _sender(message: EmailMessage) -> str:
    mailboxes = _mailboxes(message, "From") or _mailboxes(message, "Sender")
    if not mailboxes:
        raise EmailParseError("From", "no sender address")
    return mailboxes[0].addr_spec


def _sender_name(message: EmailMessage) -> str | None:
    mailboxes = _mailboxes(message, "From")
    return mailboxes[0].display_name.strip() or None if mailboxes else None


def _addresses(message: EmailMessage, name: str) -> list[str]:
    return [address.addr_spec for address in _mailboxes(message, name)]


def _message_ids(message: EmailMessage, name: str) -> list[str]:
    value = _header(message, name)
    return value.split() if value else []


def _first_message_id(message: EmailMessage, name: str) -> str | None:
    ids = _message_ids(message, name)
    return ids[0] if ids else None


def _body_text(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return None
    try:
        content = part.get_content()
    except (LookupError, ValueError) as error:
        raise EmailParseError(f"text/{subtype} part", f"cannot be decoded ({error})") from error
    return content if isinstance(content, str) else None


def _attachments(message: EmailMessage) -> list[Attachment]:
    attachments = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        attachments.append(
            Attachment(
                filename=part.get_filename(),
                content_type=part.get_content_type(),
                size_bytes=len(payload) if isinstance(payload, bytes) else 0,
                content_id=part.get("Content-ID"),
            )
        )
    return attachments


def _date(message: EmailMessage) -> Any:
    value = _header(message, "Date")
    if not value:
        return None
    try:
        sent_at = parsedate_to_datetime(value)
    except (TypeError, ValueError) as error:
        raise EmailParseError("Date", f"not an RFC 5322 date ({error})") from error
    return sent_at if sent_at.tzinfo else None
