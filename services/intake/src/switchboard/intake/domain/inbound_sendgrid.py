"""SendGrid Inbound Parse's POST (multipart/form-data) as intake's e-mail contact.

With "POST the raw, full MIME message" the ``email`` field is the message itself: it is read
by ``read_email`` like any raw mail. Otherwise the message comes parsed: ``headers`` (the raw
header block: threading and auto-reply headers are read from it as from raw mail), ``text``
and ``html`` in the charsets ``charsets`` names, ``from``/``to``/``cc``/``subject`` (used
where the header block lacks them), ``envelope`` (JSON: ``to``, the SMTP recipients) and the
files ``attachment1``… described by ``attachment-info`` (JSON: filename, type, content-id).
Fields as https://www.twilio.com/docs/sendgrid/for-developers/parsing-email/setting-up-the-inbound-parse-webhook
documents them."""

from __future__ import annotations

import json
import re
from typing import Any

from switchboard.intake.domain.contacts import Attachment, EmailContact
from switchboard.intake.domain.email_automated import AutomatedMail
from switchboard.intake.domain.email_bodies import (
    MAX_ATTACHMENTS,
    Bodies,
    attachment_metadata,
    decoded_text,
)
from switchboard.intake.domain.email_headers import header_block
from switchboard.intake.domain.email_parsing import read_email, read_provider_email
from switchboard.intake.domain.form_data import Form

_ATTACHMENT_FIELD = re.compile(r"^attachment(\d{1,4})$")
_ADDRESS_FIELDS = {"from": "From", "to": "To", "cc": "Cc", "subject": "Subject"}


def sendgrid_email(form: Form) -> EmailContact | AutomatedMail:
    """The contact of one Inbound Parse POST, or why no person wrote it."""
    envelope = _envelope_recipients(form)
    raw = form.get("email")
    if raw is not None and raw.value.strip():
        return read_email(raw.value, envelope_recipients=envelope)
    charsets = _json_object(form, "charsets")
    bodies = Bodies(
        text=_text(form, "text", charsets),
        html=_text(form, "html", charsets),
        attachments=_attachments(form),
    )
    return read_provider_email(_head(form, charsets), bodies, envelope_recipients=envelope)


def _head(form: Form, charsets: dict[str, Any]) -> bytes:
    """The raw header block, then SendGrid's decoded fields: the first occurrence counts,
    so these only stand in for headers the block lacks."""
    raw = form.get("headers")
    given = [
        (header, text)
        for field, header in _ADDRESS_FIELDS.items()
        if (text := _text(form, field, charsets))
    ]
    block = header_block(given)
    if raw is None or not raw.value.strip():
        return block
    return (
        raw.value.strip(b"\r\n").replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") + b"\r\n" + block
    )


def _text(form: Form, name: str, charsets: dict[str, Any]) -> str | None:
    field = form.get(name)
    if field is None or not field.value:
        return None
    charset = charsets.get(name)
    return decoded_text(field.value, charset if isinstance(charset, str) else None)


def _json_object(form: Form, name: str) -> dict[str, Any]:
    """A JSON-object field; a missing or broken one reads as empty (it only describes)."""
    try:
        found = json.loads(form.text(name) or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _envelope_recipients(form: Form) -> list[str]:
    recipients = _json_object(form, "envelope").get("to")
    if isinstance(recipients, str):
        recipients = [recipients]
    if not isinstance(recipients, list):
        return []
    return [each for each in recipients if isinstance(each, str)][:500]


def _attachments(form: Form) -> list[Attachment]:
    info = _json_object(form, "attachment-info")
    numbered = sorted(
        (
            (int(match.group(1)), field)
            for field in form.fields
            if (match := _ATTACHMENT_FIELD.match(field.name)) and field.filename is not None
        ),
        key=lambda numbered_field: numbered_field[0],
    )
    found = []
    for _, field in numbered[:MAX_ATTACHMENTS]:
        described = info.get(field.name)
        about = described if isinstance(described, dict) else {}
        found.append(
            attachment_metadata(
                filename=_str(about.get("filename")) or field.filename,
                content_type=_str(about.get("type")) or field.content_type,
                size=len(field.value),
                content_id=_str(about.get("content-id")),
            )
        )
    return found


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
