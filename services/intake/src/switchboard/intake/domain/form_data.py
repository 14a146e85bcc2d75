"""HTML form bodies as inbound-mail services post them: ``multipart/form-data`` (RFC 7578)
split into fields whose values stay bytes (SendGrid sends each field in the charset its
``charsets`` field names, and a raw MIME message must reach the mail parser unchanged), and
``application/x-www-form-urlencoded``. Parts separated by LF instead of CRLF are read too."""

from __future__ import annotations

import email.policy
import hashlib
import re
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser
from urllib.parse import parse_qsl

MAX_FIELDS = 1000
_HEADERS = BytesHeaderParser(policy=email.policy.compat32)
_BOUNDARY = re.compile(r"^[0-9A-Za-z'()+_,./:=? -]{1,70}$")
_HEAD_END = re.compile(rb"\r?\n\r?\n")


class FormDataError(ValueError):
    """The body is not the form its Content-Type announces."""


@dataclass(frozen=True)
class FormField:
    name: str
    value: bytes
    filename: str | None = None
    content_type: str | None = None

    @property
    def text(self) -> str:
        return self.value.decode("utf-8", "replace")


@dataclass(frozen=True)
class Form:
    fields: tuple[FormField, ...]

    def get(self, name: str) -> FormField | None:
        return next((field for field in self.fields if field.name == name), None)

    def text(self, name: str) -> str | None:
        found = self.get(name)
        return found.text if found is not None else None

    def digest(self, *, leaving_out: tuple[str, ...] = ()) -> str:
        """The same fields with the same values give the same digest, whatever the boundary."""
        hashed = hashlib.sha256()
        for field in self.fields:
            if field.name not in leaving_out:
                for part in (field.name.encode(), field.value):
                    hashed.update(len(part).to_bytes(8, "big") + part)
        return hashed.hexdigest()


def read_form(body: bytes, content_type: str) -> Form:
    """The fields of a form body, by its Content-Type header (with its parameters)."""
    media_type, _, _ = content_type.partition(";")
    media_type = media_type.strip().lower()
    if media_type == "application/x-www-form-urlencoded":
        return _urlencoded(body)
    if media_type == "multipart/form-data":
        return _multipart(body, _boundary(content_type))
    raise FormDataError(
        f"expected multipart/form-data or application/x-www-form-urlencoded, not {media_type!r}"
    )


def _urlencoded(body: bytes) -> Form:
    # Latin-1 maps each byte to one character and back: percent-escapes decode to the bytes
    # they stand for, whatever charset those are in.
    try:
        pairs = parse_qsl(
            body.decode("latin-1"),
            keep_blank_values=True,
            max_num_fields=MAX_FIELDS,
            encoding="latin-1",
        )
    except ValueError as error:
        raise FormDataError(f"more than {MAX_FIELDS} form fields") from error
    return Form(
        tuple(
            FormField(name.encode("latin-1").decode("utf-8", "replace"), value.encode("latin-1"))
            for name, value in pairs
        )
    )


def _boundary(content_type: str) -> str:
    message = Message()
    message["Content-Type"] = content_type
    boundary = message.get_param("boundary")
    if not isinstance(boundary, str) or not _BOUNDARY.match(boundary):
        raise FormDataError("multipart/form-data without a valid boundary parameter")
    return boundary


def _multipart(body: bytes, boundary: str) -> Form:
    # A delimiter starts a line; the line break before it belongs to it, not to the value.
    chunks = (b"\n" + body).split(b"\n--" + boundary.encode("ascii"))
    if len(chunks) < 2 or not chunks[-1].startswith(b"--"):
        raise FormDataError(f"the body is not multipart/form-data with boundary {boundary!r}")
    if len(chunks) - 2 > MAX_FIELDS:
        raise FormDataError(f"more than {MAX_FIELDS} form fields")
    return Form(tuple(_field(chunk) for chunk in chunks[1:-1]))


def _field(chunk: bytes) -> FormField:
    chunk = chunk.lstrip(b" \t").removeprefix(b"\r").removeprefix(b"\n")
    found = _HEAD_END.search(chunk)
    if found is None:
        raise FormDataError("a form part without a header block")
    head = _HEADERS.parsebytes(chunk[: found.start()] + b"\r\n\r\n")
    value = chunk[found.end() :]
    value = value.removesuffix(b"\r")
    name = head.get_param("name", header="content-disposition")
    if not isinstance(name, str):
        raise FormDataError("a form part without Content-Disposition: form-data; name=...")
    filename = head.get_filename()
    content_type = head.get_content_type() if head.get("Content-Type") else None
    return FormField(name, value, filename, content_type)
