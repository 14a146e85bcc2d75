"""Postmark's inbound webhook (JSON) as intake's e-mail contact.

The header block is rebuilt from ``FromFull``, ``ToFull``, ``CcFull``, ``ReplyTo``,
``Subject``, ``Date`` and the ``Headers`` list (Message-ID, In-Reply-To, References,
Auto-Submitted… as the message had them), then read as raw mail's is, so threading and
auto-reply detection are the same; ``TextBody`` and ``HtmlBody`` are the bodies (the contact
cuts quoted history itself, as for raw mail), ``Attachments`` give metadata only (their
``Content`` is not kept). With the server's "include raw email content" setting,
``RawEmail`` is read as raw mail instead. Fields as
https://postmarkapp.com/developer/webhooks/inbound-webhook documents them; unknown fields are
ignored."""

from __future__ import annotations

from email.utils import formataddr
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from switchboard.intake.domain.contacts import EmailContact
from switchboard.intake.domain.email_automated import AutomatedMail
from switchboard.intake.domain.email_bodies import (
    MAX_ATTACHMENTS,
    Bodies,
    attachment_metadata,
)
from switchboard.intake.domain.email_headers import header_block
from switchboard.intake.domain.email_parsing import read_email, read_provider_email


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Mailbox(_Tolerant):
    Email: str | None = None
    Name: str | None = None

    def formatted(self) -> str | None:
        if not self.Email:
            return None
        return formataddr((" ".join((self.Name or "").split()), self.Email.strip()))


class Header(_Tolerant):
    Name: str
    Value: str | None = None


class PostmarkAttachment(_Tolerant):
    Name: str | None = None
    ContentType: str | None = None
    ContentLength: Annotated[int, Field(ge=0)] = 0
    ContentID: str | None = None


class InboundMessage(_Tolerant):
    MessageID: str | None = None
    """Postmark's own id of the message: the same in every retry of the webhook."""
    From: str | None = None
    FromFull: Mailbox | None = None
    To: str | None = None
    ToFull: list[Mailbox] = []
    CcFull: list[Mailbox] = []
    ReplyTo: str | None = None
    OriginalRecipient: str | None = None
    Subject: str | None = None
    Date: str | None = None
    TextBody: str | None = None
    HtmlBody: str | None = None
    Headers: list[Header] = []
    Attachments: list[PostmarkAttachment] = []
    RawEmail: str | None = None


def postmark_email(message: InboundMessage) -> EmailContact | AutomatedMail:
    """The contact of one inbound webhook, or why no person wrote it."""
    envelope = [message.OriginalRecipient] if message.OriginalRecipient else []
    if message.RawEmail and message.RawEmail.strip():
        raw = message.RawEmail.encode("utf-8", "surrogateescape")
        return read_email(raw, envelope_recipients=envelope)
    bodies = Bodies(
        text=message.TextBody or None,
        html=message.HtmlBody or None,
        attachments=[
            attachment_metadata(
                filename=each.Name,
                content_type=each.ContentType,
                size=each.ContentLength,
                content_id=each.ContentID,
            )
            for each in message.Attachments[:MAX_ATTACHMENTS]
        ],
    )
    return read_provider_email(_head(message), bodies, envelope_recipients=envelope)


def _head(message: InboundMessage) -> bytes:
    sender = message.FromFull.formatted() if message.FromFull else None
    given = {
        "From": sender or message.From,
        "To": _listed(message.ToFull) or message.To,
        "Cc": _listed(message.CcFull),
        "Reply-To": message.ReplyTo,
        "Subject": message.Subject,
        "Date": message.Date,
    }
    pairs = [(name, value) for name, value in given.items() if value]
    taken = {name.lower() for name, _ in pairs}
    pairs += [
        (header.Name, header.Value or "")
        for header in message.Headers
        if header.Name.lower() not in taken
    ]
    return header_block(pairs)


def _listed(mailboxes: list[Mailbox]) -> str:
    return ", ".join(found for each in mailboxes if (found := each.formatted()))
