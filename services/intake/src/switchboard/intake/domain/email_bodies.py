"""The text, HTML and attachments' metadata of a parsed message, recovered where the MIME
structure is broken: an unknown charset falls back to UTF-8, Windows-1252, Latin-1; a
multipart whose declared boundary is missing is re-read with the boundary its body uses,
else its body is kept as plain text. Attachments give only metadata (name, type, size)."""

from __future__ import annotations

import email.policy
import re
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.parser import BytesParser

from switchboard.intake.domain.contacts import Attachment
from switchboard.intake.domain.email_headers import HEADER_ERRORS, decode_8bit

_PARSER = BytesParser(policy=email.policy.default)
_BOUNDARY_LINE = re.compile(r"^--([0-9A-Za-z'()+_,./:=?-]{1,70})\s*$", re.MULTILINE)
_CONTENT_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")
_UNKNOWN_TYPE = "application/octet-stream"
MAX_ATTACHMENTS = 100


@dataclass(frozen=True)
class Bodies:
    text: str | None
    html: str | None
    attachments: list[Attachment]


def read_bodies(message: EmailMessage) -> Bodies:
    """What a reader can see of the message, however broken its structure."""
    root = _recovered(message) or message
    text = _part_text(root.get_body(preferencelist=("plain",)), "plain")
    html = _part_text(root.get_body(preferencelist=("html",)), "html")
    if text is None and html is None and _unreadable_multipart(root):
        text = _decoded(_raw_payload(root), None)
    return Bodies(text, html, _attachments(root))


def _unreadable_multipart(message: Message) -> bool:
    return message.get_content_maintype() == "multipart" and not message.is_multipart()


def _recovered(message: EmailMessage) -> EmailMessage | None:
    """A multipart whose parts the parser could not find, re-read with the boundary its
    body really uses (the first ``--boundary`` line)."""
    if not _unreadable_multipart(message):
        return None
    found = _BOUNDARY_LINE.search(decode_8bit(str(message.get_payload())))
    if found is None:
        return None
    head = f'Content-Type: multipart/mixed; boundary="{found.group(1)}"\r\n\r\n'.encode()
    reread = _PARSER.parsebytes(head + _raw_payload(message))
    return reread if isinstance(reread, EmailMessage) and reread.is_multipart() else None


def _raw_payload(message: Message) -> bytes:
    return str(message.get_payload()).encode("utf-8", "surrogateescape")


def _part_text(part: Message | None, subtype: str) -> str | None:
    if part is None or part.get_content_subtype() != subtype or part.is_multipart():
        return None
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return None
    return _decoded(payload, part.get_content_charset())


def decoded_text(payload: bytes, charset: str | None) -> str:
    """Text in its declared charset, else UTF-8, Windows-1252, Latin-1 (never fails)."""
    return _decoded(payload, charset)


def _decoded(payload: bytes, charset: str | None) -> str:
    for candidate in (charset, "utf-8", "cp1252"):
        if candidate is None:
            continue
        try:
            text = payload.decode(candidate)
            text.encode("utf-8")  # UTF-7 and the like can decode to lone surrogates: no text
        except (LookupError, UnicodeError):
            continue
        return text.replace("\x00", "")
    return payload.decode("latin-1").replace("\x00", "")


def _attachments(message: EmailMessage) -> list[Attachment]:
    if not message.is_multipart():
        return []
    found: list[Message] = list(message.iter_attachments())
    found += _nested_files(message, {id(part) for part in found})
    return [_metadata(part) for part in found[:MAX_ATTACHMENTS]]


def _nested_files(message: Message, taken: set[int]) -> list[Message]:
    """Files deeper in the tree than ``iter_attachments`` looks (Apple Mail puts them in a
    multipart/mixed inside the multipart/alternative): parts named or sent as attachments."""
    files: list[Message] = []
    for part in message.get_payload() if message.is_multipart() else []:
        if not isinstance(part, Message) or id(part) in taken:
            continue
        if part.is_multipart():
            files += _nested_files(part, taken)
        elif part.get_content_disposition() == "attachment" or _filename(part):
            files.append(part)
    return files


def _metadata(part: Message) -> Attachment:
    return attachment_metadata(
        filename=_filename(part),
        content_type=part.get_content_type(),
        size=_size(part),
        content_id=part.get("Content-ID"),
    )


def attachment_metadata(
    *, filename: str | None, content_type: str | None, size: int, content_id: object = None
) -> Attachment:
    """An attachment's metadata as the contact keeps it, whoever described it (a MIME part,
    an inbound-mail service's fields): an unusable media type reads as octet-stream."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    return Attachment(
        filename=_short(decode_8bit(filename), 255) if filename else None,
        content_type=media_type if _CONTENT_TYPE.match(media_type) else _UNKNOWN_TYPE,
        size_bytes=max(size, 0),
        content_id=_short(content_id, 998),
    )


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except HEADER_ERRORS:
        return None
    return name or None


def _size(part: Message) -> int:
    if part.is_multipart():
        try:
            return len(part.as_bytes())
        except (LookupError, UnicodeError, ValueError):
            return 0
    payload = part.get_payload(decode=True)
    return len(payload) if isinstance(payload, bytes) else 0


def _short(value: object, limit: int) -> str | None:
    text = " ".join(str(value).replace("\x00", "").split()) if value is not None else ""
    return text[:limit] or None
