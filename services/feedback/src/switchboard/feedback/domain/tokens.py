"""Signed survey link tokens, URL-safe, made and checked by itsdangerous.

A token carries the survey id and the link's expiry (Unix seconds), signed with
HMAC-SHA256 under a key derived from the secret for this purpose only. Several secrets may
verify (key rotation); the first signs. Single use is the database's job.

Links sent before itsdangerous signed them (``<survey id>.<expiry>.<signature>``, HMAC-SHA256
with the raw secret) still verify until they expire: drop ``_verify_legacy`` once
``survey_expiry_days`` have passed since every instance signs the new way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from itsdangerous import BadData, Signer, URLSafeSerializer
from itsdangerous.encoding import base64_decode, base64_encode

MIN_SECRET_BYTES = 32
MAX_TOKEN_CHARS = 512
_PURPOSE = "survey-link"


class InvalidToken(ValueError):
    """The token is malformed or its signature does not verify."""


class ExpiredToken(ValueError):
    """The token verified but its link has expired."""


@dataclass(frozen=True)
class SurveyLink:
    survey_id: str
    expires_at: datetime


def _serializer(secrets: Sequence[bytes]) -> URLSafeSerializer:
    # itsdangerous signs with the last key and verifies with each; ours signs with the first.
    return URLSafeSerializer(
        list(reversed(secrets)),
        salt=_PURPOSE,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha256},
    )


def _check_secret(secret: bytes) -> None:
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"a signing secret needs at least {MIN_SECRET_BYTES} bytes")


def _canonical(encoded: str) -> bool:
    """Base64 that decodes to bytes which encode back to it (no stray trailing bits)."""
    try:
        return base64_encode(base64_decode(encoded)).decode("ascii") == encoded
    except BadData:
        return False


def sign_survey_link(*, survey_id: str, expires_at: datetime, secret: bytes) -> str:
    _check_secret(secret)
    token: str = _serializer([secret]).dumps([survey_id, int(expires_at.timestamp())])
    return token


def verify_survey_link(*, token: str, secrets: Sequence[bytes], now: datetime) -> SurveyLink:
    """The survey the token was signed for; raises ``InvalidToken`` or ``ExpiredToken``."""
    if not secrets:
        raise ValueError("no secret to verify with")
    if len(token) > MAX_TOKEN_CHARS or not token.isascii():
        raise InvalidToken("malformed token")
    parts = token.split(".")
    if len(parts) == 3 and parts[0] and parts[1].isdigit():
        survey_id, expiry = _verify_legacy(parts, secrets)
    else:
        survey_id, expiry = _verify(token, secrets)
    if not survey_id:
        raise InvalidToken("malformed token")
    expires_at = datetime.fromtimestamp(expiry, tz=UTC)
    if now >= expires_at:
        raise ExpiredToken("the survey link has expired")
    return SurveyLink(survey_id=survey_id, expires_at=expires_at)


def _verify(token: str, secrets: Sequence[bytes]) -> tuple[str, int]:
    if not _canonical(token.rpartition(".")[2]):
        raise InvalidToken("malformed token")
    try:
        payload = _serializer(secrets).loads(token)
    except BadData as error:
        raise InvalidToken("the link's signature does not verify") from error
    match payload:
        case [str(survey_id), int(expiry)] if expiry >= 0:
            return survey_id, expiry
    raise InvalidToken("malformed token")


def _verify_legacy(parts: list[str], secrets: Sequence[bytes]) -> tuple[str, int]:
    encoded_id, expiry_text, signature = parts
    if not (_canonical(encoded_id) and _canonical(signature)):
        raise InvalidToken("malformed token")
    try:
        survey_id = base64_decode(encoded_id).decode()
    except UnicodeDecodeError as error:
        raise InvalidToken("malformed token") from error
    if "\x00" in survey_id or len(expiry_text) > 12:
        raise InvalidToken("malformed token")
    expiry = int(expiry_text)
    legacy = Signer(list(reversed(secrets)), key_derivation="none", digest_method=hashlib.sha256)
    if not legacy.verify_signature(f"{_PURPOSE}\x00{survey_id}\x00{expiry}".encode(), signature):
        raise InvalidToken("the link's signature does not verify")
    return survey_id, expiry
