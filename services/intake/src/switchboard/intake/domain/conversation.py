"""A case's conversation as people read it: each message with its sender, full text, the
HTML of an e-mail made safe to display, and its attachments' metadata.

Built from what intake stored when it accepted a contact (the normalised request and the
text it read from it), so the transcript shows exactly what the customer sent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import nh3

ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto", "cid"})
"""Links and images may point to the web, a mail address or an attachment (``cid:``);
never ``javascript:`` or ``data:``."""


class Direction(StrEnum):
    INBOUND = "inbound"
    """From the customer."""
    OUTBOUND = "outbound"
    """An agent's reply."""


RECEIVED = "received"
"""The delivery state of an inbound message intake accepted (replies have their own:
``domain.replies.ReplyDelivery``)."""


@dataclass(frozen=True)
class Sender:
    kind: str
    """``customer`` (inbound), ``agent`` (a reply) or ``system`` (``feedback``'s survey)."""
    id: str
    """The customer's or the agent's id."""
    address: str | None = None
    """How the customer reached us: e-mail address, E.164 number, social handle, chat visitor."""
    name: str | None = None


@dataclass(frozen=True)
class AttachmentInfo:
    filename: str | None
    content_type: str
    size_bytes: int


@dataclass(frozen=True)
class Message:
    id: str
    direction: Direction
    channel: str
    sender: Sender
    at: datetime
    text: str
    subject: str | None
    html: str | None
    """Sanitised: safe to put into a page as it is."""
    attachments: tuple[AttachmentInfo, ...]
    delivery: str
    """``received`` for inbound messages; a reply's state (queued … read, or failed)."""
    delivery_error: str | None = None
    outcome: str | None = None
    """What an inbound contact did to its case (``ContactOutcome``: opened, joined, reopened)."""


def inbound_message(
    *,
    contact_id: str,
    customer_id: str,
    channel: str,
    request: Mapping[str, Any],
    text: str,
    received_at: datetime,
    outcome: str,
) -> Message:
    """One accepted contact as a message of its case's conversation."""
    html = request.get("html_body")
    return Message(
        id=contact_id,
        direction=Direction.INBOUND,
        channel=channel,
        sender=Sender(
            kind="customer",
            id=customer_id,
            address=_address(channel, request),
            name=_name(channel, request),
        ),
        at=received_at,
        text=text,
        subject=request.get("subject") or request.get("subject_line") or None,
        html=safe_html(html) if html else None,
        attachments=tuple(
            AttachmentInfo(
                filename=each.get("filename"),
                content_type=each["content_type"],
                size_bytes=each["size_bytes"],
            )
            for each in request.get("attachments") or ()
        ),
        delivery=RECEIVED,
        outcome=outcome,
    )


def outbound_message(
    *,
    reply_id: str,
    agent_id: str,
    channel: str,
    text: str,
    subject: str | None,
    html: str | None,
    attachments: list[dict[str, Any]],
    posted_at: datetime,
    delivery: str,
    delivery_error: str | None,
    kind: str = "reply",
) -> Message:
    """An agent's reply (or, ``kind="survey"``, a survey invitation sent for feedback) as a
    message of its case's conversation (its HTML was sanitised when it was posted)."""
    return Message(
        id=reply_id,
        direction=Direction.OUTBOUND,
        channel=channel,
        sender=Sender(kind="agent" if kind == "reply" else "system", id=agent_id),
        at=posted_at,
        text=text,
        subject=subject,
        html=html,
        attachments=tuple(
            AttachmentInfo(
                filename=each.get("filename"),
                content_type=each["content_type"],
                size_bytes=each["size_bytes"],
            )
            for each in attachments
        ),
        delivery=delivery,
        delivery_error=delivery_error,
    )


def safe_html(html: str) -> str:
    """The HTML with scripts, styles, event handlers, forms and dangerous URLs removed (by
    ammonia, through nh3); links open without referrer or opener."""
    return nh3.clean(
        html,
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
    )


def _address(channel: str, request: Mapping[str, Any]) -> str | None:
    match channel:
        case "email":
            return _text(request.get("sender"))
        case "phone":
            return _text(request.get("caller_number"))
        case "social":
            return f"{request.get('platform')}:{request.get('handle')}"
        case "chat":
            visitor = request.get("visitor") or {}
            return _text(visitor.get("email")) or _text(visitor.get("phone"))
    return None


def _name(channel: str, request: Mapping[str, Any]) -> str | None:
    if channel == "email" and request.get("sender_name"):
        return _text(request.get("sender_name"))
    if channel == "chat" and (request.get("visitor") or {}).get("name"):
        return _text(request["visitor"]["name"])
    return _text(request.get("customer_name"))


def _text(value: Any) -> str | None:
    return str(value) if value else None
