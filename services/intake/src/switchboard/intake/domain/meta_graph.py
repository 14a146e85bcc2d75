"""Meta's side of WhatsApp Cloud, Messenger and Instagram messaging: the webhook's
verification handshake and ``X-Hub-Signature-256`` check, the Graph API send requests a
reply becomes, and what Graph answers to them.

As Meta documents them: https://developers.facebook.com/docs/graph-api/webhooks/getting-started
(``hub.mode``/``hub.verify_token``/``hub.challenge``; ``sha256=`` HMAC-SHA256 of the raw body
with the app secret), the WhatsApp Cloud API's ``POST /{phone-number-id}/messages`` (answer
``{"messages": [{"id": "wamid…"}]}``), the Send API's ``POST /{page-or-ig-id}/messages``
(answer ``{"recipient_id", "message_id"}``), and Graph's errors (``{"error": {"message",
"type", "code", "error_subcode", "fbtrace_id"}}``, https://developers.facebook.com/docs/
graph-api/guides/error-handling)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_GRAPH_BASE = "https://graph.facebook.com/v23.0"
SIGNATURE_HEADER = "X-Hub-Signature-256"
WHATSAPP_SEND = "meta.whatsapp.messages"
MESSENGER_SEND = "meta.messenger.messages"
INSTAGRAM_SEND = "meta.instagram.messages"
"""Event types of a queued Graph send request."""
SENDER_ID = r"^[0-9]{1,30}$"
THROTTLED = frozenset({4, 17, 32, 613, 80007, 130429, 131048, 131056})
"""Graph error codes that say 'too many calls': app, user, page, hourly, WhatsApp account,
throughput, spam and pair rate limits — the same request goes through later."""
PASSING = frozenset({1, 2, 131000})
"""Unknown error, service temporarily unavailable, 'something went wrong': retried."""
THROTTLED_WAIT = 60.0
PASSING_WAIT = 10.0


def signature_matches(header: str | None, body: bytes, app_secrets: Iterable[str]) -> bool:
    """Whether ``X-Hub-Signature-256`` is ``sha256=`` and the HMAC-SHA256 of the raw body
    with one of the app secrets, compared in constant time."""
    scheme, _, given = (header or "").strip().partition("=")
    if scheme.lower() != "sha256" or not given:
        return False
    offered = given.strip().lower().encode()
    return any(
        [
            hmac.compare_digest(offered, _signature(secret, body).encode())
            for secret in app_secrets
            if secret
        ]
    )


def _signature(app_secret: str, body: bytes) -> str:
    return hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signed(app_secret: str, body: bytes) -> str:
    """The header value Meta sends with this body (for tests and local tools)."""
    return f"sha256={_signature(app_secret, body)}"


def challenge_answer(query: Mapping[str, str], verify_tokens: Iterable[str]) -> str | None:
    """The ``hub.challenge`` to echo when Meta subscribes with one of the verify tokens;
    None when the request is no subscription of ours."""
    given = query.get("hub.verify_token") or ""
    challenge = query.get("hub.challenge")
    if query.get("hub.mode") != "subscribe" or not given or challenge is None:
        return None
    offered = given.encode()
    if not any([hmac.compare_digest(offered, token.encode()) for token in verify_tokens]):
        return None
    return challenge


def send_path(api_base: str, sender_id: str) -> str:
    """``{graph}/{phone-number-id | page-id | ig-id}/messages``."""
    return f"{api_base.rstrip('/')}/{sender_id}/messages"


def whatsapp_message(
    document: Mapping[str, Any], _credential: object = None, _origin: object = None
) -> str:
    """A text message to the customer's number, in reply to their latest message."""
    body: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": str(document["conversation_id"]),
        "type": "text",
        "text": {"preview_url": False, "body": document["text"]},
    }
    if latest := document.get("in_reply_to_item_id"):
        body["context"] = {"message_id": str(latest)}
    return _compact(body)


def messenger_message(
    document: Mapping[str, Any], _credential: object = None, _origin: object = None
) -> str:
    """A Send API text message to the customer's page- or Instagram-scoped id, as the
    response to their message (within the 24-hour window)."""
    return _compact(
        {
            "recipient": {"id": str(document["conversation_id"])},
            "messaging_type": "RESPONSE",
            "message": {"text": document["text"]},
        }
    )


def _compact(body: Mapping[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Answer:
    message_id: str | None = None
    error: str | None = None
    """Graph's ``error.message`` with its code (and subcode), when it refused."""
    code: int | None = None
    readable: bool = True
    """False when the answer is no Graph document (cut short, say)."""


def answer_of(body: bytes) -> Answer:
    """The message id Graph made (``messages[0].id`` or ``message_id``), or its error."""
    try:
        document = json.loads(body)
    except ValueError:
        return Answer(readable=False)
    if not isinstance(document, dict):
        return Answer(readable=False)
    error = document.get("error")
    if isinstance(error, dict):
        code = error.get("code") if isinstance(error.get("code"), int) else None
        return Answer(error=_described(error, code), code=code)
    messages = document.get("messages")
    first = messages[0] if isinstance(messages, list) and messages else None
    found = first.get("id") if isinstance(first, dict) else document.get("message_id")
    return Answer(message_id=str(found)[:128] if isinstance(found, str) and found else None)


def _described(error: Mapping[str, Any], code: int | None) -> str:
    message = str(error.get("message") or error.get("error_user_msg") or "no message")[:1000]
    subcode = error.get("error_subcode")
    details = error.get("error_data")
    if isinstance(details, dict) and details.get("details"):
        message = f"{message}: {str(details['details'])[:500]}"
    said = f"code {code}" if code is not None else "no code"
    return f"{message} ({said}{f', subcode {subcode}' if isinstance(subcode, int) else ''})"


def retry_after(status_code: int, body: bytes) -> float | None:
    """The wait before trying again when Graph says it is throttling or briefly unwell
    (it answers rate limits with 400 or 429 and an error code, never a Retry-After)."""
    if 200 <= status_code < 300:
        return None
    code = answer_of(body).code
    if code in THROTTLED:
        return THROTTLED_WAIT
    if code in PASSING or status_code == 429:
        return PASSING_WAIT
    return None
