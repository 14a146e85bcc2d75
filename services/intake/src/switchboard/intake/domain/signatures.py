"""Standard Webhooks signature checks for channel adapters, with secret rotation.

The library signs; the check is done here, timestamp first so that a stale request is told
why it was refused, against the ``now`` it is given (the library's own check reads the
clock, so a caller's ``now`` would be overridden by it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from standardwebhooks import Webhook

REPLAY_WINDOW = timedelta(minutes=5)
MAX_WEBHOOK_ID_CHARACTERS = 256
_REQUIRED_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


class SignatureRejected(Exception):
    """The request is not from the adapter it claims, or is too old to trust."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SignedRequest:
    webhook_id: str
    sent_at: datetime


def new_secret() -> str:
    """A fresh adapter secret in the Standard Webhooks ``whsec_`` form."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def verify_signature(
    *,
    body: bytes,
    headers: Mapping[str, str],
    secrets_in_use: Sequence[str],
    now: datetime | None = None,
) -> SignedRequest:
    """Accept the request if any secret in use (current, or previous during rotation) signed it."""
    lowered = {name.lower(): value for name, value in headers.items()}
    missing = [name for name in _REQUIRED_HEADERS if not lowered.get(name)]
    if missing:
        raise SignatureRejected(f"missing header(s): {', '.join(missing)}")
    if len(lowered["webhook-id"]) > MAX_WEBHOOK_ID_CHARACTERS:
        raise SignatureRejected(f"webhook-id is longer than {MAX_WEBHOOK_ID_CHARACTERS} characters")
    sent_at = _timestamp(lowered["webhook-timestamp"])
    age = (now or datetime.now(UTC)) - sent_at
    if abs(age) > REPLAY_WINDOW:
        direction = "old" if age > timedelta(0) else "far in the future"
        raise SignatureRejected(
            f"webhook-timestamp is {int(abs(age.total_seconds()))} s {direction}; "
            f"requests are accepted for {int(REPLAY_WINDOW.total_seconds())} s"
        )
    for secret in secrets_in_use:
        if _signed_with(secret, body=body, headers=lowered):
            return SignedRequest(webhook_id=lowered["webhook-id"], sent_at=sent_at)
    raise SignatureRejected("no matching signature for this adapter")


def _signed_with(secret: str, *, body: bytes, headers: dict[str, str]) -> bool:
    """The Standard Webhooks HMAC over ``id.timestamp.body``, byte for byte (an 8-bit e-mail
    body too). Not the library's ``verify``: it checks the timestamp against its own clock,
    which would override the ``now`` this check was given."""
    expected = _bytes_signature(secret, headers["webhook-id"], headers["webhook-timestamp"], body)
    for versioned in headers["webhook-signature"].split():
        version, _, signature = versioned.partition(",")
        if version == "v1" and hmac.compare_digest(signature.encode(), expected.encode()):
            return True
    return False


def _bytes_signature(secret: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_") + "==")
    digest = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _timestamp(raw: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(raw), tz=UTC)
    except (ValueError, OverflowError, OSError) as error:
        raise SignatureRejected("webhook-timestamp is not a Unix time in seconds") from error


def sign(*, secret: str, webhook_id: str, body: bytes, at: datetime) -> dict[str, str]:
    """The headers an adapter sends, signed as ``verify_signature`` checks them (the tests and
    the benchmark post as adapters)."""
    timestamp = str(int(at.timestamp()))
    try:
        signature = Webhook(secret).sign(webhook_id, at, body.decode("utf-8"))
    except UnicodeDecodeError:
        signature = "v1," + _bytes_signature(secret, webhook_id, timestamp, body)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": signature,
    }
