"""What a Messenger (``object: page``) or Instagram messaging (``object: instagram``) webhook
brings: each customer message (``messaging[].message``, or a button's ``postback``) a social
contact of platform ``messenger`` or ``instagram`` — handle and conversation the sender's
page- or Instagram-scoped id (replies go to it), ``mid`` its id, attachments' metadata —
and deliveries and reads of messages intake sent as status reports (by ``mids``, or for
all messages to the customer before a ``watermark`` when no message is named). Echoes of
the business's own messages, deleted and unsupported messages, reactions, standby and other
events are ignored, saying why.

Objects as https://developers.facebook.com/docs/messenger-platform/reference/webhook-events
and the Instagram messaging webhooks document them; unknown fields are ignored."""

from __future__ import annotations

from collections.abc import Iterator
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
    UnixMillis,
    WatermarkReport,
    described,
    from_millis,
    tolerated,
)
from switchboard.intake.domain.replies import ReplyDelivery

PLATFORMS = {"page": "messenger", "instagram": "instagram"}
"""A notification's ``object`` → the platform its contacts are of."""
_KINDS = {
    "image": "image/jpeg",
    "video": "video/mp4",
    "audio": "audio/mp4",
    "file": "application/octet-stream",
}
"""Messenger names an attachment's kind, not its media type: the usual type of each kind."""


class Party(Tolerant):
    id: str = Field(default="", max_length=100)


class AttachmentRef(Tolerant):
    type: str = ""
    title: str | None = None


class Message(Tolerant):
    mid: str = Field(default="", max_length=240)
    text: str | None = None
    attachments: list[AttachmentRef] = []
    is_echo: bool = False
    is_deleted: bool = False
    is_unsupported: bool = False


class Postback(Tolerant):
    mid: str | None = Field(default=None, max_length=240)
    title: str = ""


class Receipt(Tolerant):
    mids: list[str] = []
    mid: str | None = None
    watermark: UnixMillis | None = None


class Event(Tolerant):
    sender: Party = Party()
    recipient: Party = Party()
    timestamp: UnixMillis | None = None
    message: Message | None = None
    postback: Postback | None = None
    delivery: Receipt | None = None
    read: Receipt | None = None


class Entry(Tolerant):
    id: str = ""
    time: UnixMillis | None = None
    messaging: list[Event] = []
    standby: list[Event] = []


class Notification(Tolerant):
    object: Literal["page", "instagram"]
    entry: list[Entry] = []

    @property
    def platform(self) -> str:
        return PLATFORMS[self.object]


def items_of(notification: Notification, *, page_id: str | None = None) -> Iterator[Item]:
    """Every event the notification holds, in order (only those of the adapter's Page when
    it is given: an app's other Pages post here too)."""
    platform = notification.platform
    for entry in notification.entry:
        if page_id and entry.id and entry.id != page_id:
            yield Ignored(f"for another {platform} account of the app ({entry.id})")
            continue
        if entry.standby:
            yield Ignored("standby events (another app holds the conversation)")
        for event in entry.messaging:
            yield from item_of(platform, event, entry.time)


def item_of(platform: str, event: Event, sent: int | None = None) -> Iterator[Item]:
    """What one ``messaging`` event is (``sent``: when Meta sent the entry)."""
    if event.message is not None:
        yield tolerated(lambda: contact_of(platform, event))
    elif event.postback is not None:
        yield tolerated(lambda: _postback(platform, event))
    elif event.delivery is not None or event.read is not None:
        yield from _receipts(platform, event, sent)
    else:
        yield Ignored(f"a {platform} event other than a message, postback, delivery or read")


def contact_of(platform: str, event: Event) -> MetaContact | Ignored:
    """The contact a customer's message brings, or why it brings none."""
    message = event.message
    assert message is not None
    if message.is_echo:
        return Ignored(f"an echo of a message the {platform} account sent")
    if message.is_deleted or message.is_unsupported:
        return Ignored(f"a {'deleted' if message.is_deleted else 'unsupported'} message")
    if not message.mid or not event.sender.id:
        return Ignored("a message without its id or sender")
    attachments = [_attachment(each) for each in message.attachments]
    text = (message.text or described(attachments)).strip()
    if not text:
        return Ignored("a message with nothing intake keeps")
    return _contact(platform, event, message.mid, text, attachments)


def _postback(platform: str, event: Event) -> MetaContact | Ignored:
    postback = event.postback
    assert postback is not None
    if not postback.mid or not postback.title.strip() or not event.sender.id:
        return Ignored("a postback without its id, title or sender")
    return _contact(platform, event, postback.mid, postback.title.strip(), [])


def _contact(
    platform: str, event: Event, mid: str, text: str, attachments: list[Attachment]
) -> MetaContact:
    return MetaContact(
        platform=platform,
        handle=event.sender.id,
        visibility="private",
        kind="message",
        item_id=mid,
        conversation_id=event.sender.id,
        text_body=text[:TEXT_LIMIT],
        sent_at=from_millis(event.timestamp) if event.timestamp else None,
        attachments=attachments,
    )


def _attachment(ref: AttachmentRef) -> Attachment:
    kind = ref.type.lower()
    return Attachment(
        filename=None if kind in _KINDS else f"{kind or 'attachment'}"[:255],
        content_type=_KINDS.get(kind, "application/octet-stream"),
        size_bytes=0,  # Meta gives a link to the media, not its size
    )


def _receipts(platform: str, event: Event, sent: int | None) -> Iterator[Item]:
    receipt = event.delivery or event.read
    assert receipt is not None
    state = ReplyDelivery.DELIVERED if event.delivery is not None else ReplyDelivery.READ
    mids = [*receipt.mids, *([receipt.mid] if receipt.mid else [])]
    at = from_millis(receipt.watermark or event.timestamp or sent or 0)
    if not mids:
        if receipt.watermark is None or not event.sender.id:
            yield Ignored(f"a {platform} {state.value} receipt naming no message or time")
            return
        thread = f"social:{platform}:{event.sender.id}"
        yield WatermarkReport(thread_ref=thread, state=state, up_to=at)
        return
    for mid in mids:
        yield StatusReport(provider_message_id=mid, state=state, at=at)
