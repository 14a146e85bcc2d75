"""Mailgun's route POST (a ``forward()`` to a URL, or a ``store(notify=...)``) as intake's
e-mail contact, and Mailgun's signature over it.

A URL ending in ``mime`` gets the raw message in ``body-mime``: read by ``read_email`` like
any raw mail. Otherwise the message comes parsed: ``message-headers`` (JSON ``[[name,
value], …]``, the message's headers in order: threading and auto-reply headers are read from
it as from raw mail), ``body-plain``, ``body-html``, ``recipient`` (the SMTP recipient),
the files ``attachment-1``… (or, after ``store()``, the JSON list ``attachments``).
Fields as https://documentation.mailgun.com/docs/mailgun/user-manual/receive-forward-store/receive-http
documents them.

The signature (https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks):
``signature`` is the hex HMAC-SHA256 of ``timestamp`` + ``token`` under the account's webhook
signing key (``parent-signature``, on a subaccount's POST, under the primary account's).
It does not cover the body, so a timestamp must be recent and a token may bring only one
message (``SeenTokens``)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any, ClassVar

from pydantic import SecretStr, field_validator

from switchboard.intake.domain.contacts import Attachment, EmailContact
from switchboard.intake.domain.credentials import ProviderCredential
from switchboard.intake.domain.email_automated import AutomatedMail
from switchboard.intake.domain.email_bodies import MAX_ATTACHMENTS, Bodies, attachment_metadata
from switchboard.intake.domain.email_headers import header_block
from switchboard.intake.domain.email_parsing import read_email, read_provider_email
from switchboard.intake.domain.form_data import Form

SIGNATURE_FIELDS = ("timestamp", "token", "signature", "parent-signature")
REPLAY_WINDOW = timedelta(minutes=5)
_ATTACHMENT_FIELD = re.compile(r"^attachment-(\d{1,4})$")
_HEX = re.compile(r"^[0-9a-f]{64}$")


class MailgunRoutes(ProviderCredential):
    """A Mailgun account's HTTP webhook signing key, which its routes' POSTs are signed with.
    Intake only receives through Mailgun: replies go to the adapter's outbound_url, if any."""

    sends: ClassVar[bool] = False
    signing_key: SecretStr

    @field_validator("signing_key")
    @classmethod
    def _printable(cls, key: SecretStr) -> SecretStr:
        if not re.match(r"^[!-~]{1,256}$", key.get_secret_value()):
            raise ValueError("a Mailgun signing key is 1 to 256 printable ASCII characters")
        return key


def mailgun_email(form: Form) -> EmailContact | AutomatedMail:
    """The contact of one route POST, or why no person wrote it."""
    recipient = form.text("recipient") or ""
    envelope = [each.strip() for each in recipient.split(",") if each.strip()][:500]
    raw = form.get("body-mime")
    if raw is not None and raw.value.strip():
        return read_email(raw.value, envelope_recipients=envelope)
    bodies = Bodies(
        text=form.text("body-plain") or None,
        html=form.text("body-html") or None,
        attachments=_attachments(form),
    )
    return read_provider_email(_head(form), bodies, envelope_recipients=envelope)


def _head(form: Form) -> bytes:
    """``message-headers`` when it is usable, else the headers Mailgun also posts as fields
    of their own (capitalised: ``From``, ``Message-Id``…; its own fields are lower-case) and
    its ``from`` and ``subject``."""
    try:
        listed = json.loads(form.text("message-headers") or "[]")
    except ValueError:
        listed = []
    pairs = [
        (pair[0], pair[1])
        for pair in (listed if isinstance(listed, list) else [])
        if isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
    ]
    if not any(name.lower() == "from" for name, _ in pairs):
        pairs += [
            (field.name, field.text)
            for field in form.fields
            if field.name[:1].isupper() and field.filename is None
        ]
        pairs += [
            (name.capitalize(), text) for name in ("from", "subject") if (text := form.text(name))
        ]
    return header_block(pairs)


def _attachments(form: Form) -> list[Attachment]:
    files = sorted(
        (
            (int(match.group(1)), field)
            for field in form.fields
            if (match := _ATTACHMENT_FIELD.match(field.name)) and field.filename is not None
        ),
        key=lambda numbered: numbered[0],
    )
    if files:
        return [
            attachment_metadata(
                filename=field.filename, content_type=field.content_type, size=len(field.value)
            )
            for _, field in files[:MAX_ATTACHMENTS]
        ]
    return [_stored(each) for each in _stored_list(form)[:MAX_ATTACHMENTS]]


def _stored_list(form: Form) -> list[dict[str, Any]]:
    """``store()``'s ``attachments``: JSON objects with name, content-type, size, url."""
    try:
        listed = json.loads(form.text("attachments") or "[]")
    except ValueError:
        return []
    return [each for each in listed if isinstance(each, dict)] if isinstance(listed, list) else []


def _stored(described: dict[str, Any]) -> Attachment:
    size = described.get("size")
    name, media_type = described.get("name"), described.get("content-type")
    return attachment_metadata(
        filename=name if isinstance(name, str) else None,
        content_type=media_type if isinstance(media_type, str) else None,
        size=size if isinstance(size, int) else 0,
    )


class SignatureRejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def verify_mailgun_signature(form: Form, *, signing_key: str, now: datetime) -> str:
    """The request's token once its signature is right and its timestamp within
    ``REPLAY_WINDOW`` of ``now``; else ``SignatureRejected`` saying why."""
    timestamp, token, signature = (form.text(name) or "" for name in SIGNATURE_FIELDS[:3])
    if not (timestamp and token and signature):
        raise SignatureRejected("timestamp, token and signature are required")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise SignatureRejected("the timestamp is not a number of seconds")
    if abs(now.timestamp() - int(timestamp)) > REPLAY_WINDOW.total_seconds():
        raise SignatureRejected("the timestamp is more than 5 minutes off")
    expected = hmac.new(
        signing_key.encode(), (timestamp + token).encode(), hashlib.sha256
    ).hexdigest()
    # A subaccount's POST also carries the primary account's: either key may be configured.
    given = [signature, form.text("parent-signature") or ""]
    matches = [
        _HEX.match(each.strip().lower()) is not None
        and hmac.compare_digest(expected, each.strip().lower())
        for each in given
    ]
    if not any(matches):
        raise SignatureRejected("the signature does not match")
    return token


class SeenTokens:
    """The tokens of signed requests of the last ``REPLAY_WINDOW`` in this process, each with
    the digest of what it brought: a retry of that request is let through (and deduplicated
    further on), a token carrying something else is a replay."""

    def __init__(self, limit: int = 100_000) -> None:
        self._seen: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._limit = limit

    def admit(self, token: str, digest: str, now: datetime) -> bool:
        moment = now.timestamp()
        while self._seen and (
            len(self._seen) > self._limit
            or next(iter(self._seen.values()))[0] < moment - REPLAY_WINDOW.total_seconds()
        ):
            self._seen.popitem(last=False)
        earlier = self._seen.get(token)
        if earlier is not None:
            return hmac.compare_digest(earlier[1], digest)
        self._seen[token] = (moment, digest)
        return True
