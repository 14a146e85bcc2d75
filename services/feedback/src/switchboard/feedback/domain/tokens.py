"""Signed survey link tokens: ``<survey id>.<expiry>.<signature>``, all URL-safe.

The signature is HMAC-SHA256 over the survey id and the expiry (Unix seconds). Several
secrets may verify (key rotation); the first signs. Single use is the database's job.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

MIN_SECRET_BYTES = 32
MAX_TOKEN_CHARS = 512


class InvalidToken(ValueError):
    """The token is malformed or its signature does not verify."""


class ExpiredToken(ValueError):
    """The token verified but its link has expired."""


@dataclass(frozen=True)
class SurveyLink:
    survey_id: str
    expires_at: datetime


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise InvalidToken("malformed token") from error
    if _b64encode(raw) != text:
        raise InvalidToken("malformed token")
    return raw


def _signature(secret: bytes, survey_id: str, expiry: int) -> bytes:
    message = f"survey-link\x00{survey_id}\x00{expiry}".encode()
    return hmac.new(secret, message, hashlib.sha256).digest()


def _check_secret(secret: bytes) -> None:
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"a signing secret needs at least {MIN_SECRET_BYTES} bytes")


def sign_survey_link(*, survey_id: str, expires_at: datetime, secret: bytes) -> str:
    _check_secret(secret)
    if "\x00" in survey_id:
        raise ValueError("survey ids cannot contain NUL")
    expiry = int(expires_at.timestamp())
    encoded_id = _b64encode(survey_id.encode())
    return f"{encoded_id}.{expiry}.{_b64encode(_signature(secret, survey_id, expiry))}"


def verify_survey_link(*, token: str, secrets: Sequence[bytes], now: datetime) -> SurveyLink:
    """The survey the token was signed for; raises ``InvalidToken`` or ``ExpiredToken``."""
    if not secrets:
        raise ValueError("no secret to verify with")
    if len(token) > MAX_TOKEN_CHARS or not token.isascii():
        raise InvalidToken("malformed token")
    parts = token.split(".")
    if len(parts) != 3 or not parts[1].isdigit() or len(parts[1]) > 12:
        raise InvalidToken("malformed token")
    encoded_id, expiry_text, encoded_signature = parts
    try:
        survey_id = _b64decode(encoded_id).decode()
    except UnicodeDecodeError as error:
        raise InvalidToken("malformed token") from error
    if not survey_id or "\x00" in survey_id:
        raise InvalidToken("malformed token")
    expiry = int(expiry_text)
    signature = _b64decode(encoded_signature)
    matches = [
        hmac.compare_digest(signature, _signature(secret, survey_id, expiry)) for secret in secrets
    ]
    if not any(matches):
        raise InvalidToken("the link's signature does not verify")
    expires_at = datetime.fromtimestamp(expiry, tz=UTC)
    if now >= expires_at:
        raise ExpiredToken("the survey link has expired")
    return SurveyLink(survey_id=survey_id, expires_at=expires_at)
