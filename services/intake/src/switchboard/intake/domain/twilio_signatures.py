"""Twilio's request signature, as https://www.twilio.com/docs/usage/webhooks/webhooks-security
documents it: ``X-Twilio-Signature`` is base64(HMAC-SHA1(auth token, the URL Twilio requested
+ each POST parameter's name and value, sorted by name)). A JSON body is not signed itself:
the URL carries ``bodySHA256`` (hex SHA-256 of the body) and the signature covers the URL only.

Twilio's SDKs accept the URL with and without its port (Twilio has signed both ways): so do
we. A name sent several times counts each distinct value once, in sorted order, as the SDKs
do."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import parse_qs, urlsplit, urlunsplit

SIGNATURE_HEADER = "X-Twilio-Signature"
BODY_HASH_PARAMETER = "bodySHA256"
_DEFAULT_PORTS = {"https": 443, "http": 80}

FormParameters = Mapping[str, Sequence[str]]
"""Each POST parameter's values, as ``urllib.parse.parse_qs`` gives them."""


def signature(auth_token: str, url: str, parameters: FormParameters | None = None) -> str:
    """The signature Twilio sends for this URL and these POST parameters."""
    signed = url + "".join(
        name + value
        for name in sorted(parameters or {})
        for value in sorted(set((parameters or {})[name]))
    )
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def url_spellings(url: str) -> tuple[str, ...]:
    """The URL as given, without its port, and with its scheme's standard port."""
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    host = hostport.rsplit(":", 1)[0] if parts.port is not None else hostport
    standard = _DEFAULT_PORTS.get(parts.scheme)
    spellings = [url, urlunsplit(parts._replace(netloc=f"{userinfo}{at}{host}"))]
    if parts.port is None and standard is not None:
        with_port = f"{userinfo}{at}{host}:{standard}"
        spellings.append(urlunsplit(parts._replace(netloc=with_port)))
    return tuple(dict.fromkeys(spellings))


def form_signature_matches(
    given: str | None, *, auth_tokens: Iterable[str], url: str, parameters: FormParameters
) -> bool:
    """Whether a form post's signature is Twilio's with one of the auth tokens."""
    return _any_match(given, auth_tokens, url, parameters)


def json_signature_matches(
    given: str | None, *, auth_tokens: Iterable[str], url: str, body: bytes
) -> bool:
    """Whether a JSON post's signature covers its URL and the URL's ``bodySHA256`` is the
    body's hash."""
    claimed = parse_qs(urlsplit(url).query).get(BODY_HASH_PARAMETER, [""])[0]
    hash_matches = hmac.compare_digest(claimed.encode(), body_hash(body).encode())
    return _any_match(given, auth_tokens, url, None) and hash_matches


def _any_match(
    given: str | None, auth_tokens: Iterable[str], url: str, parameters: FormParameters | None
) -> bool:
    if not given:
        return False
    offered = given.strip().encode()
    return any(
        [
            hmac.compare_digest(offered, signature(token, spelling, parameters).encode())
            for token in auth_tokens
            for spelling in url_spellings(url)
        ]
    )
