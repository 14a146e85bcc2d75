"""What one webhook POST from Meta brings, whatever the platform: contacts (a customer's
messages, each its own), status reports on messages intake sent, and what it ignores and
why. A POST may carry several entries, each several messages or statuses."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from switchboard.intake.domain import identity
from switchboard.intake.domain.contacts import Attachment, SocialContact
from switchboard.intake.domain.identity import IdentityKey, IdentityKind
from switchboard.intake.domain.replies import ReplyDelivery

_MEDIA_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")
TEXT_LIMIT = 20_000

UnixSeconds = Annotated[int, Field(ge=0, le=2**32)]
UnixMillis = Annotated[int, Field(ge=0, le=2**32 * 1000)]


class Tolerant(BaseModel):
    """Meta adds fields often: unknown ones are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class MetaContact(SocialContact):
    """A social contact with its attachments' metadata; a WhatsApp one also knows the
    customer's number (``phone``), so that their calls and WhatsApp messages are one
    customer's."""

    attachments: list[Attachment] = []
    phone: str | None = None

    def identities(self) -> tuple[IdentityKey, ...]:
        social = super().identities()
        return (*social, IdentityKey(IdentityKind.PHONE, self.phone)) if self.phone else social


@dataclass(frozen=True)
class StatusReport:
    """How far a message intake sent got, by the provider's id for it."""

    provider_message_id: str
    state: ReplyDelivery
    at: datetime
    reason: str | None = None


@dataclass(frozen=True)
class WatermarkReport:
    """Every message sent to the customer before ``up_to`` got this far (Messenger's reads,
    and deliveries from older clients, name no message, only a time)."""

    thread_ref: str
    """The customer's conversation as intake threads it (``social:messenger:<psid>``)."""
    state: ReplyDelivery
    up_to: datetime


@dataclass(frozen=True)
class Ignored:
    reason: str


Item = MetaContact | StatusReport | WatermarkReport | Ignored


def tolerated(read: Callable[[], Item]) -> Item:
    """One message that is no contact intake can keep (a handle of a form the platform's
    rules refuse, say) is ignored, saying why, so that the others of its POST are taken
    and Meta does not retry it for days."""
    try:
        return read()
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "message"
        return Ignored(f"a message intake cannot keep: {where}: {first['msg']}"[:500])


def media_type(given: str | None, fallback: str) -> str:
    """``audio/ogg; codecs=opus`` → ``audio/ogg``; the fallback when there is none."""
    bare = (given or "").split(";")[0].strip().lower()
    return bare if _MEDIA_TYPE.match(bare) else fallback


def described(attachments: list[Attachment]) -> str:
    """Text for a message that is only media (a contact has some text)."""
    return " ".join(f"[{each.filename or each.content_type}]" for each in attachments)


def e164(digits: str) -> str | None:
    """A WhatsApp id (the number's digits, no +) as E.164 when it is a valid number."""
    try:
        return identity.normalise_phone(f"+{digits}")
    except identity.InvalidIdentity:
        return None


def from_seconds(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def from_millis(millis: int) -> datetime:
    return datetime.fromtimestamp(millis / 1000, UTC)
