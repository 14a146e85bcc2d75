"""An agent's reply to the customer: what each channel takes, where it goes (addressed from
the customer's latest message), and the document the channel adapter receives.

E-mail replies carry a Message-ID of their own, In-Reply-To the customer's latest message
and References the thread so far, so the customer's answer threads back into the case."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from switchboard.intake.domain.conversation import safe_html
from switchboard.servicekit.json_types import JSON_NUMBER

MAX_REFERENCES = 20
TEXT_LIMITS = {"email": 100_000, "chat": 4_000, "social": 2_000}
"""Characters of text each channel takes; a phone case takes no written reply."""


class ReplyDelivery(StrEnum):
    """How far a reply got, in order; ``failed`` ends it from any state."""

    QUEUED = "queued"
    ACCEPTED = "accepted"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"

    def moves_to(self, reported: ReplyDelivery) -> bool:
        """Whether a report changes the state: only forward, and nothing after failed."""
        if self is ReplyDelivery.FAILED:
            return False
        if reported is ReplyDelivery.FAILED:
            return True
        return _ORDER.index(reported) > _ORDER.index(self)


_ORDER = list(ReplyDelivery)


@dataclass(frozen=True)
class Outcome:
    """What one delivery attempt did to an outbound message."""

    state: ReplyDelivery | None
    """None: not settled yet (it will be tried again)."""
    reason: str | None = None
    provider_message_id: str | None = None


class ReplyRefused(ValueError):
    """The reply does not fit the case's channel."""


class AttachmentRef(BaseModel):
    """An attachment by reference: the adapter fetches it from ``url``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: Annotated[str, StringConstraints(max_length=2048, pattern=r"^https?://[^\s\x85\ufeff]+$")]
    filename: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    content_type: Annotated[str, StringConstraints(pattern=r"^[\w.+-]+/[\w.+-]+$")]
    size_bytes: Annotated[int, Field(ge=0, le=50_000_000), JSON_NUMBER]


class ReplyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text: Annotated[str, StringConstraints(min_length=1, max_length=100_000)]
    subject: Annotated[str, StringConstraints(max_length=998)] | None = None
    """E-mail only; ``Re: <the case's subject>`` when absent."""
    html: Annotated[str, StringConstraints(max_length=1_000_000)] | None = None
    """E-mail only; sanitised before it is stored or sent."""
    attachments: Annotated[list[AttachmentRef], Field(max_length=20)] = []

    @field_validator("text", "subject", "html")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("contains a NUL character (U+0000)")
        return value

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a reply needs some text")
        return value


def check_fits(channel: str, reply: ReplyRequest) -> None:
    limit = TEXT_LIMITS.get(channel)
    if limit is None:
        raise ReplyRefused(f"a {channel} case takes no written reply")
    if len(reply.text) > limit:
        raise ReplyRefused(f"a {channel} reply holds at most {limit:,} characters")
    if channel != "email" and (reply.subject is not None or reply.html is not None):
        raise ReplyRefused("only an e-mail reply has a subject or HTML")
    if channel == "social" and reply.attachments:
        raise ReplyRefused("a social reply takes no attachments")


def reply_subject(case_subject: str | None, requested: str | None) -> str:
    if requested:
        return requested
    subject = (case_subject or "").strip()
    if subject.lower().startswith("re:"):
        return subject
    return f"Re: {subject}" if subject else "Re: your message"


def email_message_id(reply_id: str, mail_domain: str) -> str:
    """As intake keeps Message-IDs (without the angle brackets)."""
    return f"{reply_id}@{mail_domain}"


def header_id(message_id: str) -> str:
    """A Message-ID as e-mail headers write it."""
    return f"<{message_id}>"


def addressing(channel: str, latest: Mapping[str, Any]) -> dict[str, Any]:
    """Where the reply goes, from the customer's latest message on the case's channel."""
    match channel:
        case "email":
            earlier = [*latest.get("references", []), latest.get("message_id")]
            references = [ref for ref in dict.fromkeys(earlier) if ref][-MAX_REFERENCES:]
            in_reply_to = latest.get("message_id")
            return {
                "to": [latest["sender"]],
                "in_reply_to": header_id(in_reply_to) if in_reply_to else None,
                "references": [header_id(ref) for ref in references],
            }
        case "chat":
            return {"session_id": latest["session_id"], "visitor_id": latest["visitor"]["id"]}
        case "social":
            return {
                "platform": latest["platform"],
                "handle": latest["handle"],
                "visibility": latest["visibility"],
                "conversation_id": latest.get("conversation_id") or latest["item_id"],
                "in_reply_to_item_id": latest["item_id"],
            }
    raise ReplyRefused(f"a {channel} case takes no written reply")


def outbound_document(
    *,
    reply_id: str,
    case_id: str,
    channel: str,
    reply: ReplyRequest,
    subject: str | None,
    to: Mapping[str, Any],
    message_id: str | None,
    posted_at: datetime,
) -> dict[str, Any]:
    """What the adapter receives (the ``data`` of a ``switchboard.reply.outbound`` request):
    the text, and for e-mail the subject, sanitised HTML and threading headers (Message-ID,
    In-Reply-To, References as the headers write them: ``<id>``)."""
    document: dict[str, Any] = {
        "kind": "reply",
        "reply_id": reply_id,
        "case_id": case_id,
        "channel": channel,
        "posted_at": posted_at.isoformat(),
        "text": reply.text,
        "attachments": [attachment.model_dump() for attachment in reply.attachments],
        **to,
    }
    if channel == "email":
        document |= {
            "subject": subject,
            "html": safe_html(reply.html) if reply.html else None,
            "message_id": header_id(message_id) if message_id else None,
        }
    return document
