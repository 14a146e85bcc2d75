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


def _decoded(payload: bytes, charset: str | None) -> str:
    for candidate in (charset, "utf-8", "cp1252"):
        if candidate is None:
            continue
        try:
            return payload.decode(candidate).replace("\x00", "")
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("latin-1").replace("\x00", "")


def _attachments(message: EmailMessage) -> list[Attachment]:
    if not message.is_multipart():
        return []
    return [_metadata(part) for part in message.iter_attachments()][:MAX_ATTACHMENTS]


def _metadata(part: Message) -> Attachment:
    content_type = part.get_content_type()
    return Attachment(
        filename=_filename(part),
        content_type=content_type
        if _CONTENT_TYPE.match(content_type)
        else "application/octet-stream",
        size_bytes=_size(part),
        content_id=_short(part.get("Content-ID"), 998),
    )


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except HEADER_ERRORS:
        return None
    return _short(decode_8bit(name), 255) if name else None


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
