"""Contact payloads as each of intake's channel endpoints wants them, signed the way a
channel adapter signs (Standard Webhooks)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from switchboard.adapter_client import signed_headers as adapter_signature
from switchboard.simulator.customers import Customer

CHANNELS = ("phone", "email", "chat", "social")
SUPPORT_ADDRESS = "support@{region}.switchboard.example"
SUPPORT_NUMBERS = {
    "SE": "+46850001000",
    "DE": "+4930900100",
    "FR": "+33140000100",
    "PL": "+48221000100",
}
Payload = dict[str, Any]


@dataclass(frozen=True)
class Adapter:
    id: str
    channel: str
    region: str
    """The region's code on the platform (intake gives its cases this region)."""
    secret: str

    @property
    def path(self) -> str:
        return f"/v1/adapters/{self.id}/contacts/{self.channel}"


def signed_headers(
    secret: str, body: bytes, *, webhook_id: str | None = None, at: datetime | None = None
) -> dict[str, str]:
    """What a channel adapter sends with a contact: a JSON body's content type and the
    adapter client's Standard Webhooks headers (id, timestamp, signature)."""
    signed = adapter_signature(secret, body, webhook_id=webhook_id, at=at)
    return {"content-type": "application/json", **signed}


def encode(payload: Payload) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _common(customer: Customer, priority: int | None, at: datetime) -> Payload:
    payload: Payload = {"customer_name": customer.name, "sent_at": at.isoformat()}
    if priority is not None:
        payload["priority"] = priority
    return payload


def phone_contact(
    customer: Customer,
    *,
    country: str,
    transcript: str,
    at: datetime,
    event: str = "call_started",
    department: str | None = None,
    priority: int | None = None,
) -> Payload:
    payload = _common(customer, priority, at) | {
        "event": event,
        "call_id": f"call-{uuid.uuid4().hex}",
        "caller_number": customer.phone,
        "caller_country": country,
        "called_number": SUPPORT_NUMBERS[country],
        "transcript": transcript,
    }
    if department:
        payload["ivr_selection"] = {"digits": "2", "department": department}
    if event == "voicemail":
        payload["duration_seconds"] = 42.0
    return payload


def new_message_id(domain: str = "customers.example") -> str:
    return f"<{uuid.uuid4().hex}@{domain}>"


def email_contact(
    customer: Customer,
    *,
    region: str,
    subject: str,
    body: str,
    at: datetime,
    priority: int | None = None,
) -> Payload:
    """A first e-mail: it starts the customer's conversation (``customer.last_email``)."""
    message_id = new_message_id()
    customer.last_email = [message_id]
    payload = _common(customer, priority, at) | {
        "sender": customer.email,
        "sender_name": customer.name,
        "to": [SUPPORT_ADDRESS.format(region=region)],
        "subject": subject,
        "text_body": body,
        "message_id": message_id,
    }
    return payload


def email_reply(
    customer: Customer,
    *,
    region: str,
    subject: str,
    body: str,
    at: datetime,
    agent_reply_id: str | None = None,
) -> Payload:
    """The customer answers in the same conversation: In-Reply-To the latest message (the
    agent's reply when there was one), References the whole chain, as mail clients do."""
    if not customer.last_email:
        raise ValueError("an e-mail reply needs an earlier e-mail")
    chain = [*customer.last_email, *([agent_reply_id] if agent_reply_id else [])]
    message_id = new_message_id()
    customer.last_email = [*chain, message_id]
    return _common(customer, None, at) | {
        "sender": customer.email,
        "sender_name": customer.name,
        "to": [SUPPORT_ADDRESS.format(region=region)],
        "subject": subject if subject.startswith("Re: ") else f"Re: {subject}",
        "text_body": body,
        "message_id": message_id,
        "in_reply_to": chain[-1],
        "references": chain,
    }


def chat_contact(
    customer: Customer, *, message: str, at: datetime, priority: int | None = None
) -> Payload:
    return _common(customer, priority, at) | {
        "session_id": f"chat-{uuid.uuid4().hex}",
        "message_id": "1",
        "visitor": {"id": customer.visitor_id, "name": customer.name, "email": customer.email},
        "message": message,
    }


def social_contact(
    customer: Customer, *, text: str, at: datetime, public: bool, platform: str = "facebook"
) -> Payload:
    return _common(customer, None, at) | {
        "platform": platform,
        "handle": customer.handle,
        "visibility": "public" if public else "private",
        "kind": "post" if public else "message",
        "item_id": uuid.uuid4().hex,
        "text": text,
    }


def answer_on_thread(
    customer: Customer, outbound: Payload, *, region: str, text: str, at: datetime
) -> Payload:
    """The customer writes back on the thread of a reply they received (``outbound`` is the
    ``data`` intake sent the adapter): an e-mail In-Reply-To the reply's Message-ID, a
    message in the same chat session, a message in the same social conversation."""
    channel = outbound["channel"]
    common = _common(customer, None, at)
    if channel == "email":
        reply_id = outbound["message_id"]
        chain = [*outbound.get("references", []), reply_id]
        message_id = new_message_id()
        customer.last_email = [*chain, message_id]
        subject = outbound.get("subject") or ""
        return common | {
            "sender": customer.email,
            "sender_name": customer.name,
            "to": [SUPPORT_ADDRESS.format(region=region)],
            "subject": subject if subject.startswith("Re: ") else f"Re: {subject}",
            "text_body": text,
            "message_id": message_id,
            "in_reply_to": reply_id,
            "references": chain,
        }
    if channel == "chat":
        return common | {
            "session_id": outbound["session_id"],
            "message_id": uuid.uuid4().hex,
            "visitor": {"id": customer.visitor_id, "name": customer.name, "email": customer.email},
            "message": text,
        }
    if channel == "social":
        public = outbound["visibility"] == "public"
        return common | {
            "platform": outbound["platform"],
            "handle": customer.handle,
            "visibility": outbound["visibility"],
            "kind": "post" if public else "message",
            "item_id": uuid.uuid4().hex,
            "conversation_id": outbound["conversation_id"],
            "text": text,
        }
    raise ValueError(f"no written answer on {channel}")
