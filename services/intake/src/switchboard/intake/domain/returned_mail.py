"""What a delivery status notification (RFC 3464: ``multipart/report;
report-type=delivery-status``) says about mail intake sent: the Message-ID of the returned
message (from its ``message/rfc822`` or ``text/rfc822-headers`` part) and each recipient
it failed for (``Action: failed``), with the status and the remote server's diagnostic.
A report that only says "delayed" or "delivered" fails nothing."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser

from switchboard.intake.domain.email_headers import first_header, message_id

_FAILED = "failed"


@dataclass(frozen=True)
class ReturnedMail:
    message_id: str
    """The returned message's id, as intake keeps ids (without the angle brackets)."""
    failures: tuple[str, ...]
    """Per failed recipient: ``<recipient>: <status> <diagnostic>``."""

    @property
    def reason(self) -> str:
        return "returned by the mail system: " + "; ".join(self.failures)


def returned_mail(message: Message) -> ReturnedMail | None:
    """What the report says failed, or None (no delivery status report, no returned
    message id, or no recipient it failed for)."""
    if message.get_content_type() != "multipart/report":
        return None
    if str(message.get_param("report-type", "") or "").lower() != "delivery-status":
        return None
    failures: list[str] = []
    original: str | None = None
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            failures += _failures(part)
        elif kind in ("message/rfc822", "text/rfc822-headers") and original is None:
            original = _returned_id(part)
    if original is None or not failures:
        return None
    return ReturnedMail(original, tuple(failures))


def _failures(part: Message) -> list[str]:
    """The per-recipient blocks (the first block is per-message) that say failed."""
    blocks = part.get_payload()
    found: list[str] = []
    for block in blocks[1:] if isinstance(blocks, list) else []:
        if not isinstance(block, Message):
            continue
        if (first_header(block, "Action") or "").strip().lower() != _FAILED:
            continue
        recipient = _typed(first_header(block, "Final-Recipient")) or "?"
        status = (first_header(block, "Status") or "").strip()
        diagnostic = _typed(first_header(block, "Diagnostic-Code"))
        said = " ".join(part for part in (status, diagnostic) if part)
        found.append(f"{recipient}: {said}"[:500] if said else recipient)
    return found


def _typed(value: str | None) -> str:
    """A field's value without its type (``rfc822;`` or ``smtp;``), on one line."""
    text = " ".join((value or "").split())
    kind, separator, rest = text.partition(";")
    return rest.strip() if separator and " " not in kind.strip() else text


def _returned_id(part: Message) -> str | None:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        returned = inner[0] if isinstance(inner, list) and inner else None
        return message_id(returned) if isinstance(returned, Message) else None
    text = part.get_payload(decode=True)
    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else ""
    headers = HeaderParser().parsestr(raw, headersonly=True)
    return message_id(headers)
