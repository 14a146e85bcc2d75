"""Inbound-mail services' POST bodies for the tests: the captured and published samples in
fixtures/providers (see its README for where each comes from), and variants built on their
shapes (a reply, an auto-reply, another charset)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

PROVIDERS = Path(__file__).parent / "fixtures" / "providers"
MAIL = Path(__file__).parent / "fixtures" / "mail"
SENDGRID_BOUNDARY = "xYzZY"
MAILGUN_BOUNDARY = "515e0b8d-a7e3-43ef-808e-f27b75edf470"
MAILGUN_KEY = "foo"
"""The signing key of the multi_mail capture's signature (timestamp 1366071615)."""


def wire(name: str) -> bytes:
    """A stored form body as it travels: CRLF line ends."""
    return (PROVIDERS / name).read_bytes().replace(b"\n", b"\r\n")


def form_type(boundary: str) -> str:
    return f"multipart/form-data; boundary={boundary}"


def multipart(fields: list[tuple[str, bytes | str]], boundary: str = SENDGRID_BOUNDARY) -> bytes:
    """A form body as SendGrid writes one; a name ``attachmentN:file.ext:type`` is a file."""
    parts = []
    for name, value in fields:
        raw = value.encode() if isinstance(value, str) else value
        field, *file = name.split(":")
        head = f'Content-Disposition: form-data; name="{field}"'
        if file:
            head += f'; filename="{file[0]}"\r\nContent-Type: {file[1]}'
        parts.append(f"--{boundary}\r\n{head}\r\n\r\n".encode() + raw + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


def sendgrid_parsed(headers: str, text: str, **more: str) -> bytes:
    """A default-mode POST of a message with these raw headers and this text."""
    fields: list[tuple[str, bytes | str]] = [("headers", headers), ("text", text)]
    fields += [(name, value) for name, value in more.items()]
    fields.append(("charsets", json.dumps({"text": "UTF-8", "subject": "UTF-8"})))
    return multipart(fields)


def postmark(name: str = "postmark_capture.json", **change: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((PROVIDERS / name).read_text())
    return document | change


def mailgun_signed(key: str = MAILGUN_KEY, *, at: float | None = None) -> dict[str, str]:
    """Fresh Mailgun signature fields, as Mailgun adds them to each POST (a 50-character
    token, the hex HMAC-SHA256 of timestamp + token)."""
    timestamp = str(int(at if at is not None else time.time()))
    return resign({"timestamp": timestamp, "token": (uuid.uuid4().hex * 2)[:50]}, key)


def resign(fields: dict[str, str], key: str = MAILGUN_KEY) -> dict[str, str]:
    """The same fields with a valid signature over their timestamp and token."""
    digest = hmac.new(
        key.encode(), (fields["timestamp"] + fields["token"]).encode(), hashlib.sha256
    )
    return fields | {"signature": digest.hexdigest()}


def mailgun_parsed_now(key: str = MAILGUN_KEY) -> bytes:
    """The captured parsed POST, re-signed now (its own signature is from 2013)."""
    body = wire("mailgun_parsed.form")
    for name, value in mailgun_signed(key).items():
        body = _replace_field(body, name, value)
    return body


def _replace_field(body: bytes, name: str, value: str) -> bytes:
    head = f'name="{name}"\r\n\r\n'.encode()
    start = body.index(head) + len(head)
    end = body.index(b"\r\n--", start)
    return body[:start] + value.encode() + body[end:]


def mailgun_raw(**signature: str) -> bytes:
    """A route to a URL ending in ``mime``: the capture's envelope fields and ``body-mime``."""
    fields = {
        "recipient": "foo+bar@multimail.mailgun.org",
        "sender": "james@opennorth.ca",
        "subject": "Test",
        "from": "James McKinney <james@opennorth.ca>",
        **(signature or mailgun_signed()),
        "body-mime": (PROVIDERS / "mailgun_body_mime.eml").read_bytes().decode(),
    }
    return urlencode(fields).encode()


REPLY_HEADERS = (
    "From: =?utf-8?q?Bj=C3=B8rn_Hansen?= <bjorn@kunde.dk>\r\n"
    "To: support@acme.test\r\n"
    "Subject: Re: Ordre 4411\r\n"
    "Date: Mon, 07 Dec 2026 09:15:00 +0100\r\n"
    "Message-ID: <reply-2@kunde.dk>\r\n"
    "In-Reply-To: <case-1@switchboard.invalid>\r\n"
    "References: <first-0@kunde.dk> <case-1@switchboard.invalid>\r\n"
)
REPLY_TEXT = (
    "Pakken er stadig ikke kommet.\r\n\r\n"
    "Den man. 7. dec. 2026 kl. 08.00 skrev Support <support@acme.test>:\r\n"
    "> Vi har sendt den.\r\n"
)
AUTO_REPLY_HEADERS = (
    "From: Anna <anna@kunde.fi>\r\nTo: support@acme.test\r\nSubject: Poissa toimistolta\r\n"
    "Message-ID: <ooo-1@kunde.fi>\r\nAuto-Submitted: auto-replied\r\n"
)
