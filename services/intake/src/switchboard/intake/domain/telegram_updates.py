"""What a Telegram bot's webhook receives — an ``Update`` of the Bot API — as intake's social
contact: platform ``telegram``, the sender's user id as handle (usernames change, ids do
not), the chat as the conversation (replies go there), each message its own item;
photos and files as attachments' metadata. Updates intake does not handle (button presses,
membership changes, channel posts, a message with nothing to keep) are ignored, saying why.

Objects as https://core.telegram.org/bots/api#update documents them; unknown fields are
ignored (the Bot API adds fields often)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from switchboard.intake.domain.contacts import Attachment, SocialContact

PLATFORM = "telegram"
_MEDIA_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")


UnixTime = Annotated[int, Field(ge=0, le=2**32)]
"""Seconds since 1970 as Telegram sends them; bounded so that a date is a real date."""


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class User(_Tolerant):
    id: int
    is_bot: bool = False
    first_name: str = ""
    last_name: str | None = None
    username: str | None = None

    @property
    def display_name(self) -> str | None:
        name = " ".join(part for part in (self.first_name, self.last_name) if part).strip()
        handle = f"@{self.username}" if self.username else None
        if name and handle:
            return f"{name} ({handle})"[:200]
        return (name or handle or "")[:200] or None


class Chat(_Tolerant):
    id: int
    type: str


class PhotoSize(_Tolerant):
    file_id: str
    file_size: int | None = None


class File(_Tolerant):
    """A Document, Audio, Video or Voice: what its metadata says."""

    file_id: str
    file_name: str | None = None
    mime_type: str | None = None
    file_size: int | None = None


class Message(_Tolerant):
    message_id: int
    sender: User | None = Field(default=None, alias="from")
    chat: Chat
    date: UnixTime
    edit_date: UnixTime | None = None
    text: str | None = None
    caption: str | None = None
    photo: list[PhotoSize] = []
    document: File | None = None
    audio: File | None = None
    video: File | None = None
    voice: File | None = None


class Update(_Tolerant):
    update_id: int
    message: Message | None = None
    edited_message: Message | None = None


class TelegramContact(SocialContact):
    """A social contact with the attachments' metadata of its message."""

    attachments: list[Attachment] = []


@dataclass(frozen=True)
class Ignored:
    reason: str


_FILE_KINDS = {
    "document": "application/octet-stream",
    "audio": "audio/mpeg",
    "video": "video/mp4",
    "voice": "audio/ogg",
}


def contact_of(update: Update) -> TelegramContact | Ignored:
    """The contact an update brings, or why it brings none."""
    message = update.message or update.edited_message
    if message is None:
        return Ignored("an update other than message or edited_message")
    user = message.sender
    if user is None or user.is_bot:
        return Ignored("a message without a human sender")
    attachments = _attachments(message)
    text = message.text or message.caption or _described(attachments)
    if not text.strip():
        return Ignored("a message without text, caption, photo or file")
    item_id = f"{message.chat.id}:{message.message_id}"
    if update.message is None and message.edit_date is not None:
        item_id += f":edited:{message.edit_date}"
    return TelegramContact(
        platform=PLATFORM,
        handle=str(user.id),
        visibility="private" if message.chat.type == "private" else "public",
        kind="message",
        item_id=item_id,
        conversation_id=str(message.chat.id),
        text_body=text[:20_000],
        customer_name=user.display_name,
        sent_at=datetime.fromtimestamp(message.edit_date or message.date, UTC),
        attachments=attachments,
    )


def _attachments(message: Message) -> list[Attachment]:
    found = []
    if message.photo:
        largest = message.photo[-1]  # sizes come smallest first
        found.append(Attachment(content_type="image/jpeg", size_bytes=largest.file_size or 0))
    for kind, fallback in _FILE_KINDS.items():
        file: File | None = getattr(message, kind)
        if file is not None:
            media_type = file.mime_type or ""
            found.append(
                Attachment(
                    filename=file.file_name[:255] if file.file_name else None,
                    content_type=media_type if _MEDIA_TYPE.match(media_type) else fallback,
                    size_bytes=file.file_size or 0,
                )
            )
    return found


def _described(attachments: list[Attachment]) -> str:
    """Text for a message that is only a photo or a file (a contact has some text)."""
    return " ".join(f"[{each.filename or each.content_type}]" for each in attachments)
