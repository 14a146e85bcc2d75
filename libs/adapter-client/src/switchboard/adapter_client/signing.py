"""Standard Webhooks signatures (https://www.standardwebhooks.com), as intake checks the
adapter's requests and signs its own: HMAC-SHA256 over ``{id}.{timestamp}.{body}`` with
the adapter's ``whsec_`` secret, via the ``standardwebhooks`` library."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


class InvalidSignature(Exception):
    """The request is not signed with any of the secrets (or its timestamp is stale)."""


def signed_headers(
    secret: str, body: bytes, *, webhook_id: str | None = None, at: datetime | None = None
) -> dict[str, str]:
    """The ``webhook-id``, ``-timestamp`` and ``-signature`` headers for a body. The id
    makes retries idempotent: send a retry with the id of the first attempt."""
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    moment = (at or datetime.now(UTC)).replace(microsecond=0)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, moment, body.decode("utf-8")),
    }


def verify(secrets: Iterable[str], headers: Mapping[str, str], body: bytes) -> None:
    """Raises ``InvalidSignature`` unless one of the secrets (the current one and, during a
    rotation, the previous one) signed the request within the library's tolerance."""
    lowered = {name.lower(): value for name, value in headers.items()}
    for secret in secrets:
        try:
            Webhook(secret).verify(body, lowered)
        except WebhookVerificationError:
            continue
        return
    raise InvalidSignature("no secret in use signed this request")
