"""What Twilio posts to intake, as contacts.

Messaging (https://www.twilio.com/docs/messaging/guides/webhook-request): an SMS, MMS or a
WhatsApp message through Twilio is a private social message of platform ``sms`` or
``whatsapp``, its handle the sender's E.164 number (``whatsapp:+45…`` loses its prefix), the
number the conversation (replies go back to it), MMS media as attachments' metadata. The
number is also the customer's phone identity, so one who calls and texts is one customer.

Voice (https://www.twilio.com/docs/usage/webhooks/voice-webhooks): a call's status callback
that says it was never answered (``no-answer``, ``busy``, ``failed``, ``canceled``) is a
missed call; a request carrying a ``RecordingUrl`` (our ``<Record>``'s action) is a voicemail.

Everything else Twilio posts (a message with nothing to keep, an answered call, an outbound
call's status, a caller without a number) is ignored, saying why. Parameter names are
Twilio's; unknown ones are ignored (Twilio adds parameters without notice)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qs

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from switchboard.intake.domain import identity
from switchboard.intake.domain.contacts import (
    Attachment,
    PhoneContact,
    PhoneEvent,
    SocialContact,
)
from switchboard.intake.domain.identity import IdentityKey, IdentityKind, InvalidIdentity
from switchboard.intake.domain.twilio_signatures import FormParameters

MAX_PARAMETERS = 1000
MAX_MEDIA = 10
"""Twilio attaches at most 10 media to a message."""
MISSED = frozenset({"no-answer", "busy", "failed", "canceled"})
_MEDIA_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")

Sid = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}[0-9a-fA-F]{32}$")]
"""A Twilio resource id: two letters (``SM``, ``MM``, ``CA``, ``AC``, ``RE``) and 32 hex."""
Text = Annotated[str, StringConstraints(max_length=20_000)]


class MalformedForm(ValueError):
    """A body that is no ``application/x-www-form-urlencoded`` document."""


def form_parameters(body: bytes) -> dict[str, list[str]]:
    """The POST parameters of a form body, blank ones kept (Twilio signs them too)."""
    try:
        return parse_qs(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=bool(body),
            errors="strict",
            max_num_fields=MAX_PARAMETERS,
        )
    except (UnicodeDecodeError, ValueError) as error:
        raise MalformedForm(f"not a UTF-8 form body: {error}") from error


def first_values(parameters: FormParameters) -> dict[str, str]:
    return {name: values[0] for name, values in parameters.items() if values}


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class InboundMessage(_Tolerant):
    message_sid: Sid = Field(alias="MessageSid")
    account_sid: Sid = Field(alias="AccountSid")
    sender: Annotated[str, StringConstraints(min_length=1, max_length=256)] = Field(alias="From")
    to: Annotated[str, StringConstraints(max_length=256)] = Field("", alias="To")
    body: Text = Field("", alias="Body")
    num_media: Annotated[int, Field(ge=0, le=100)] = Field(0, alias="NumMedia")
    profile_name: Annotated[str, StringConstraints(max_length=1000)] | None = Field(
        None, alias="ProfileName"
    )


class MessageStatus(_Tolerant):
    """A status callback of a message sent through the Messages API."""

    message_sid: Sid = Field(alias="MessageSid")
    account_sid: Sid = Field(alias="AccountSid")
    status: Annotated[str, StringConstraints(min_length=1, max_length=32)] = Field(
        alias="MessageStatus"
    )
    error_code: Annotated[str, StringConstraints(max_length=16)] | None = Field(
        None, alias="ErrorCode"
    )


class CallReport(_Tolerant):
    """An incoming call, its status callback, or our ``<Record>``'s action request."""

    call_sid: Sid = Field(alias="CallSid")
    account_sid: Sid = Field(alias="AccountSid")
    caller: Annotated[str, StringConstraints(max_length=256)] = Field("", alias="From")
    called: Annotated[str, StringConstraints(max_length=256)] = Field("", alias="To")
    status: Annotated[str, StringConstraints(max_length=32)] = Field("", alias="CallStatus")
    direction: Annotated[str, StringConstraints(max_length=32)] = Field(
        "inbound", alias="Direction"
    )
    caller_name: Annotated[str, StringConstraints(max_length=1000)] | None = Field(
        None, alias="CallerName"
    )
    call_duration: Annotated[float, Field(ge=0, le=86_400)] | None = Field(
        None, alias="CallDuration"
    )
    recording_sid: Sid | None = Field(None, alias="RecordingSid")
    recording_url: Annotated[str, StringConstraints(max_length=2048)] | None = Field(
        None, alias="RecordingUrl"
    )
    recording_duration: Annotated[float, Field(ge=0, le=86_400)] | None = Field(
        None, alias="RecordingDuration"
    )
    transcription: Text | None = Field(None, alias="TranscriptionText")


class TwilioMessageContact(SocialContact):
    """A social contact of an SMS, MMS or WhatsApp message, with its media's metadata and the
    sender's number as a phone identity too."""

    attachments: list[Attachment] = []
    media_urls: list[str] = []
    """Where Twilio keeps the media (its ``MediaUrl<n>``), in the attachments' order."""
    phone: str | None = None
    """The sender's E.164 number, when the address is a phone number."""

    def identities(self) -> tuple[IdentityKey, ...]:
        social = super().identities()
        return (*social, IdentityKey(IdentityKind.PHONE, self.phone)) if self.phone else social


class TwilioVoicemail(PhoneContact):
    """A voicemail with its recording: where Twilio keeps it, and its metadata."""

    attachments: list[Attachment] = []
    recording_url: str | None = None


@dataclass(frozen=True)
class Ignored:
    reason: str


def message_contact(
    message: InboundMessage, parameters: FormParameters, *, default_country: str | None = None
) -> TwilioMessageContact | Ignored:
    """The contact an incoming message brings, or why it brings none."""
    platform, address = _split_address(message.sender)
    if platform not in {"sms", "whatsapp"}:
        return Ignored(f"a message from a {platform} address")
    number = _phone_or_none(address, default_country)
    handle = number or address.strip()
    if not handle or any(char.isspace() or char in "@/" for char in handle) or len(handle) > 100:
        return Ignored("a message from an address that is no number")
    values = first_values(parameters)
    attachments, media_urls = _media(values, message.num_media)
    text = message.body if message.body.strip() else _described(attachments)
    if not text.strip():
        return Ignored("a message without text or media")
    return TwilioMessageContact(
        platform=platform,
        handle=handle,
        visibility="private",
        kind="message",
        item_id=message.message_sid,
        conversation_id=handle,
        text_body=text,
        customer_name=(message.profile_name or "").strip()[:200] or None,
        attachments=attachments,
        media_urls=media_urls,
        phone=number,
    )


def call_contact(call: CallReport, *, default_country: str | None = None) -> PhoneContact | Ignored:
    """The contact a call's report brings (a voicemail, a missed call), or why it brings none."""
    if not call.direction.startswith("inbound"):
        return Ignored(f"a report on an {call.direction} call")
    if call.recording_url:
        event = PhoneEvent.VOICEMAIL
    elif call.status in MISSED:
        event = PhoneEvent.CALL_MISSED
    else:
        return Ignored(f"a call report of status {call.status or 'unknown'} without a recording")
    caller = _phone_or_none(_split_address(call.caller)[1], default_country)
    if caller is None:
        return Ignored("a call from a caller without a phone number (withheld, SIP, client)")
    called = _phone_or_none(_split_address(call.called)[1], default_country)
    name = (call.caller_name or "").strip()[:200] or None
    if event is PhoneEvent.CALL_MISSED:
        return PhoneContact(
            event=event,
            call_id=call.call_sid,
            caller_number=caller,
            called_number=called,
            customer_name=name,
            duration_seconds=call.call_duration,
        )
    return TwilioVoicemail(
        event=event,
        call_id=call.call_sid,
        caller_number=caller,
        called_number=called,
        customer_name=name,
        transcript=call.transcription or None,
        duration_seconds=call.recording_duration,
        recording_url=call.recording_url,
        attachments=[
            Attachment(
                filename=f"{call.recording_sid or call.call_sid}.wav",
                content_type="audio/x-wav",
                size_bytes=0,
            )
        ],
    )


def _split_address(address: str) -> tuple[str, str]:
    """``whatsapp:+4512345678`` → (``whatsapp``, ``+4512345678``); a bare number is ``sms``."""
    scheme, colon, rest = address.partition(":")
    if colon and scheme.isalpha():
        return scheme.lower(), rest
    return "sms", address


def _phone_or_none(raw: str, default_country: str | None) -> str | None:
    if not raw.strip():
        return None
    try:
        return identity.normalise_phone(raw, default_region=default_country)
    except InvalidIdentity:
        return None


def _media(values: dict[str, str], count: int) -> tuple[list[Attachment], list[str]]:
    found, urls = [], []
    for index in range(min(count, MAX_MEDIA)):
        url = values.get(f"MediaUrl{index}", "")
        media_type = values.get(f"MediaContentType{index}", "")
        if not url:
            continue
        found.append(
            Attachment(
                filename=url.rstrip("/").rsplit("/", 1)[-1][:255] or None,
                content_type=media_type if _matches(media_type) else "application/octet-stream",
                size_bytes=0,
            )
        )
        urls.append(url[:2048])
    return found, urls


def _matches(media_type: str) -> bool:
    return _MEDIA_TYPE.match(media_type) is not None


def _described(attachments: list[Attachment]) -> str:
    """Text for a message that is only media (a contact has some text)."""
    return " ".join(f"[{each.content_type}]" for each in attachments)
