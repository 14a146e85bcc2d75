"""HTTP Basic credentials (RFC 7617) as inbound-mail services send those of the URL they were
given (``https://user:password@host/...``), checked in constant time."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable
from urllib.parse import unquote


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """The user and password of an ``Authorization: Basic …`` header, if it is one."""
    scheme, _, encoded = (authorization or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else None


def basic_credentials_match(
    authorization: str | None, *, user: str, passwords: Iterable[str]
) -> bool:
    """Whether the header names ``user`` with one of ``passwords``. A password is also taken
    percent-encoded as it stands in the URL (``/`` as ``%2F``), should a service pass it on
    undecoded."""
    given = basic_credentials(authorization)
    if given is None:
        return False
    given_user, given_password = given
    candidates = {given_password, unquote(given_password)}
    matched = False
    for password in passwords:
        for candidate in candidates:
            matched |= hmac.compare_digest(candidate.encode(), password.encode())
    return hmac.compare_digest(given_user.encode(), user.encode()) and matched
