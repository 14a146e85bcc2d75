"""Mail that no person wrote: auto-replies (RFC 3834 ``Auto-Submitted``, the ``X-Autoreply``
family, ``Precedence``), bounces and delivery or read reports (RFC 3464/8098
``multipart/report``, the null reverse path, MAILER-DAEMON). Such mail opens no case and
reopens none, so that two auto-responders cannot start a loop through a help desk."""

from __future__ import annotations

from dataclasses import dataclass, replace
from email.message import Message
from enum import StrEnum

from switchboard.intake.domain.email_headers import first_header, mailboxes, message_id


class AutomatedKind(StrEnum):
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"


@dataclass(frozen=True)
class AutomatedMail:
    kind: AutomatedKind
    reason: str
    """Which header gave it away, e.g. ``Auto-Submitted: auto-replied``."""
    message_id: str | None = None


_AUTO_REPLY_FLAGS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder")
_BULK_PRECEDENCE = {"bulk", "junk", "auto_reply"}
_REPORT_TYPES = {"delivery-status", "disposition-notification"}
_DAEMONS = {"mailer-daemon", "postmaster"}


def automated(message: Message) -> AutomatedMail | None:
    """Why the message is an auto-reply or a bounce, or None when a person may have sent it."""
    found = _report(message) or _null_sender(message) or _auto_reply(message)
    return replace(found, message_id=message_id(message)) if found else None


def _report(message: Message) -> AutomatedMail | None:
    if message.get_content_type() != "multipart/report":
        return None
    report_type = str(message.get_param("report-type", "") or "").lower()
    if report_type not in _REPORT_TYPES:
        return None
    return AutomatedMail(AutomatedKind.BOUNCE, f"multipart/report; report-type={report_type}")


def _null_sender(message: Message) -> AutomatedMail | None:
    return_path = first_header(message, "Return-Path")
    if return_path is not None and return_path.replace(" ", "") == "<>":
        return AutomatedMail(AutomatedKind.BOUNCE, "Return-Path: <>")
    senders = mailboxes(message, "From")
    if senders and senders[0].username.lower() in _DAEMONS:
        return AutomatedMail(AutomatedKind.BOUNCE, f"From: {senders[0].addr_spec}")
    return None


def _auto_reply(message: Message) -> AutomatedMail | None:
    submitted = (first_header(message, "Auto-Submitted") or "no").split(";")[0].strip()
    if submitted.lower() != "no":
        return AutomatedMail(AutomatedKind.AUTO_REPLY, f"Auto-Submitted: {submitted}")
    present = {str(name).lower() for name in message}
    for flag in _AUTO_REPLY_FLAGS:
        if flag.lower() in present:
            return AutomatedMail(AutomatedKind.AUTO_REPLY, f"{flag} present")
    precedence = (first_header(message, "Precedence") or "").lower()
    if precedence in _BULK_PRECEDENCE:
        return AutomatedMail(AutomatedKind.AUTO_REPLY, f"Precedence: {precedence}")
    return None
