"""What a WhatsApp Cloud API webhook brings (``object: whatsapp_business_account``): each
customer message a social contact of platform ``whatsapp`` — handle and conversation the
customer's number (replies go to it), the ``wamid`` its id (Meta retries carry the same),
media as attachments' metadata, a location or shared contact card as text, a button or
list reply as its title — and each status (sent, delivered, read, failed) a report on a
message intake sent. Reactions, orders, unsupported and system messages, and the changes
of other phone numbers of the account are ignored, saying why.

Objects as https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components
documents them; unknown fields are ignored."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Literal

from pydantic import Field

from switchboard.intake.domain.contacts import Attachment
from switchboard.intake.domain.meta_webhooks import (
    TEXT_LIMIT,
    Ignored,
    Item,
    MetaContact,
    StatusReport,
    Tolerant,
    UnixSeconds,
    described,
    e164,
    from_seconds,
    media_type,
    tolerated,
)
from switchboard.intake.domain.replies import ReplyDelivery

PLATFORM = "whatsapp"
OBJECT = "whatsapp_business_account"


class Error(Tolerant):
    code: int | None = None
    title: str | None = None
    message: str | None = None
    error_data: dict[str, object] | None = None

    def said(self) -> str:
        details = (self.error_data or {}).get("details")
        text = self.message or self.title or "no message"
        return f"{text}{f': {details}' if details else ''} (code {self.code})"[:1000]


class Media(Tolerant):
    id: str | None = None
    mime_type: str | None = None
    caption: str | None = None
    filename: str | None = None


class Location(Tolerant):
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None


class Reply(Tolerant):
    id: str | None = None
    title: str = ""


class Interactive(Tolerant):
    type: str
    button_reply: Reply | None = None
    list_reply: Reply | None = None


class Button(Tolerant):
    text: str = ""
    payload: str | None = None


class CardName(Tolerant):
    formatted_name: str = ""


class CardPhone(Tolerant):
    phone: str = ""


class Card(Tolerant):
    name: CardName = CardName()
    phones: list[CardPhone] = []


class Text(Tolerant):
    body: str = ""


class Message(Tolerant):
    sender: str | None = Field(default=None, alias="from")
    id: str = Field(min_length=1, max_length=240)
    timestamp: UnixSeconds
    type: str
    text: Text | None = None
    image: Media | None = None
    video: Media | None = None
    audio: Media | None = None
    document: Media | None = None
    sticker: Media | None = None
    location: Location | None = None
    interactive: Interactive | None = None
    button: Button | None = None
    contacts: list[Card] = []


class Profile(Tolerant):
    name: str | None = None


class Sender(Tolerant):
    wa_id: str | None = None
    profile: Profile = Profile()


class Status(Tolerant):
    id: str = Field(min_length=1, max_length=240)
    status: str
    timestamp: UnixSeconds
    errors: list[Error] = []


class Metadata(Tolerant):
    phone_number_id: str | None = None


class Value(Tolerant):
    metadata: Metadata = Metadata()
    contacts: list[Sender] = []
    messages: list[Message] = []
    statuses: list[Status] = []


class Change(Tolerant):
    field: str = ""
    value: Value = Value()


class Entry(Tolerant):
    id: str = ""
    changes: list[Change] = []


class Notification(Tolerant):
    object: Literal["whatsapp_business_account"]
    entry: list[Entry] = []


_STATES = {
    "sent": ReplyDelivery.SENT,
    "delivered": ReplyDelivery.DELIVERED,
    "read": ReplyDelivery.READ,
    "failed": ReplyDelivery.FAILED,
}
_FALLBACK = {
    "image": "image/jpeg",
    "video": "video/mp4",
    "audio": "audio/ogg",
    "document": "application/octet-stream",
    "sticker": "image/webp",
}


def items_of(notification: Notification, *, phone_number_id: str | None = None) -> Iterator[Item]:
    """Every message and status the notification holds, in order (only those of the
    adapter's phone number when it is given: the account's other numbers post here too)."""
    for entry in notification.entry:
        for change in entry.changes:
            value = change.value
            if change.field != "messages":
                yield Ignored(f"a {change.field or 'nameless'} change, not messages")
                continue
            theirs = value.metadata.phone_number_id
            if phone_number_id and theirs and theirs != phone_number_id:
                yield Ignored(f"for another phone number of the account ({theirs})")
                continue
            names = {c.wa_id: c.profile.name for c in value.contacts if c.wa_id}
            for message in value.messages:
                yield tolerated(partial(contact_of, message, names.get(message.sender or "")))
            yield from (report_of(status) for status in value.statuses)


def contact_of(message: Message, name: str | None = None) -> MetaContact | Ignored:
    """The contact a customer's message brings, or why it brings none."""
    if not message.sender or not message.sender.isdigit():
        return Ignored("a message without the sender's number")
    attachments = _attachments(message)
    text = (_text(message) or described(attachments)).strip()
    if not text:
        return Ignored(f"a message of type {message.type!r}, which intake does not take")
    return MetaContact(
        platform=PLATFORM,
        handle=f"+{message.sender}",
        phone=e164(message.sender),
        visibility="private",
        kind="message",
        item_id=message.id,
        conversation_id=message.sender,
        text_body=text[:TEXT_LIMIT],
        customer_name=name.strip()[:200] if name and name.strip() else None,
        sent_at=from_seconds(message.timestamp),
        attachments=attachments,
    )


def _text(message: Message) -> str:
    match message.type:
        case "text":
            return message.text.body if message.text else ""
        case "image" | "video" | "document":
            media = getattr(message, message.type)
            return media.caption or "" if media else ""
        case "location" if message.location:
            place = message.location
            where = ", ".join(part for part in (place.name, place.address) if part)
            return f"[location] {where + ' ' if where else ''}({place.latitude}, {place.longitude})"
        case "interactive" if message.interactive:
            chosen = message.interactive.button_reply or message.interactive.list_reply
            return chosen.title if chosen else ""
        case "button" if message.button:
            return message.button.text
        case "contacts":
            cards = [
                " ".join([card.name.formatted_name, *(p.phone for p in card.phones)]).strip()
                for card in message.contacts
            ]
            return "\n".join(f"[contact] {card}" for card in cards if card)
    return ""


def _attachments(message: Message) -> list[Attachment]:
    if message.type not in _FALLBACK:
        return []
    media: Media | None = getattr(message, message.type)
    if media is None:
        return []
    return [
        Attachment(
            filename=media.filename[:255] if media.filename else None,
            content_type=media_type(media.mime_type, _FALLBACK[message.type]),
            size_bytes=0,  # WhatsApp gives the media's id and hash, not its size
        )
    ]


def report_of(status: Status) -> StatusReport | Ignored:
    state = _STATES.get(status.status)
    if state is None:
        return Ignored(f"a status {status.status!r}")
    reason = "; ".join(error.said() for error in status.errors) or None
    if state is ReplyDelivery.FAILED and reason is None:
        reason = "WhatsApp could not deliver it"
    return StatusReport(
        provider_message_id=status.id,
        state=state,
        at=from_seconds(status.timestamp),
        reason=f"WhatsApp: {reason}" if reason and state is ReplyDelivery.FAILED else None,
    )
