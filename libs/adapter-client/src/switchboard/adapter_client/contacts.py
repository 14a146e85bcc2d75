"""What an adapter posts to intake, one model per channel endpoint
(``POST /v1/adapters/{adapter_id}/contacts/{channel}``), and intake's answers. Field names,
required fields and choices are intake's OpenAPI document's (a test checks them against the
running service); intake checks the rest (lengths, formats) and answers 422 saying which."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Contact(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    channel: ClassVar[str]

    priority: Literal[1, 2, 3, 4] | None = None
    """1 urgent, 2 high, 3 normal, 4 low; the channel's default when absent."""
    customer_name: str | None = None
    sent_at: datetime | None = None
    """When the customer sent it (timezone-aware); when intake received it, if absent."""


class IvrSelection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    digits: str
    department: str | None = None


class PhoneContact(_Contact):
    channel: ClassVar[str] = "phone"
    event: Literal["call_started", "call_missed", "voicemail", "callback_requested"]
    call_id: str
    caller_number: str
    """E.164, or national with ``caller_country`` (or the adapter's default country)."""
    caller_country: str | None = None
    called_number: str | None = None
    ivr_selection: IvrSelection | None = None
    transcript: str | None = None
    duration_seconds: float | None = None


class Attachment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    filename: str | None = None
    content_type: str
    size_bytes: int = Field(ge=0)
    content_id: str | None = None


class EmailContact(_Contact):
    channel: ClassVar[str] = "email"
    sender: str
    sender_name: str | None = None
    to: list[str] = []
    cc: list[str] = []
    subject: str = ""
    text_body: str | None = None
    html_body: str | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = []
    attachments: list[Attachment] = []


class ChatVisitor(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str | None = None
    email: str | None = None
    phone_country: str | None = None
    phone: str | None = None


class ChatContact(_Contact):
    channel: ClassVar[str] = "chat"
    session_id: str
    visitor: ChatVisitor
    message: str
    message_id: str | None = None


class SocialContact(_Contact):
    channel: ClassVar[str] = "social"
    platform: str
    handle: str
    visibility: Literal["public", "private"]
    kind: Literal["post", "message"]
    item_id: str
    text: str
    conversation_id: str | None = None
    """Where replies go (a thread, a chat); the item itself when absent."""


Contact = PhoneContact | EmailContact | ChatContact | SocialContact


class Accepted(BaseModel):
    """Intake took the contact: the case it opened or joined."""

    model_config = ConfigDict(extra="allow")
    case_id: str
    contact_id: str
    customer_id: str
    outcome: str
    duplicate: bool
    """True when intake had it already (a retry with the same webhook id)."""


class IgnoredEmail(BaseModel):
    """An auto-reply, bounce or delivery report: taken, but no contact."""

    model_config = ConfigDict(extra="allow")
    outcome: str
    reason: str
    message_id: str | None = None
    failed_reply_id: str | None = None


DeliveryState = Literal["sent", "delivered", "read", "failed"]
