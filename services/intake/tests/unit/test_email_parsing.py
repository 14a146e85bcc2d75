from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from switchboard.intake.domain.email_parsing import EmailParseError, parse_raw_email


def build_message(*, html=True, attachment=True, **headers) -> bytes:
    message = EmailMessage()
    defaults = {
        "From": "Bjørn Hansen <Bjorn@Example.DK>",
        "To": "Support <support@acme.test>, sales@acme.test",
        "Cc": "boss@example.dk",
        "Subject": "Forkert faktura",
        "Message-ID": "<m2@example.dk>",
        "In-Reply-To": "<m1@acme.test>",
        "References": "<m0@example.dk> <m1@acme.test>",
        "Date": "Tue, 24 Nov 2026 08:00:00 +0100",
    }
    for name, value in (defaults | headers).items():
        if value is not None:
            message[name] = value
    message.set_content("Hej, min faktura er forkert.")
    if html:
        message.add_alternative("<p>Hej, min <b>faktura</b> er forkert.</p>", subtype="html")
    if attachment:
        message.add_attachment(
            b"%PDF-1.7 fake", maintype="application", subtype="pdf", filename="faktura.pdf"
        )
    return message.as_bytes()


def test_parses_headers_bodies_and_attachments():
    mail = parse_raw_email(build_message())
    assert mail.sender == "bjorn@example.dk"
    assert mail.sender_name == "Bjørn Hansen"
    assert mail.to == ["support@acme.test", "sales@acme.test"]
    assert mail.cc == ["boss@example.dk"]
    assert mail.subject == "Forkert faktura"
    assert mail.message_id == "m2@example.dk"
    assert mail.in_reply_to == "m1@acme.test"
    assert mail.references == ["m0@example.dk", "m1@acme.test"]
    assert mail.text_body.strip() == "Hej, min faktura er forkert."
    assert "<b>faktura</b>" in mail.html_body
    assert [(a.filename, a.content_type, a.size_bytes) for a in mail.attachments] == [
        ("faktura.pdf", "application/pdf", len(b"%PDF-1.7 fake"))
    ]
    assert mail.sent_at.utcoffset().total_seconds() == 3600


def test_parses_a_plain_message_without_optional_headers():
    mail = parse_raw_email(
        build_message(
            html=False, attachment=False, Cc=None, References=None, **{"In-Reply-To": None}
        )
    )
    assert mail.html_body is None
    assert mail.attachments == []
    assert mail.thread_refs == ()


def test_encoded_words_and_latin1_bodies_are_decoded():
    raw = (
        b"From: =?iso-8859-1?q?Ma=EFt=E9?= <maite@example.fr>\r\n"
        b"To: support@acme.test\r\n"
        b"Subject: =?utf-8?b?UHJvYmzDqG1l?=\r\n"
        b"Message-ID: <x1@example.fr>\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"Probl=E8me de livraison.\r\n"
    )
    mail = parse_raw_email(raw)
    assert mail.sender_name == "Maïté"
    assert mail.subject == "Problème"
    assert mail.text.strip() == "Problème de livraison."


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"", "message"),
        (b"just some text without headers", "message"),
        (build_message(From=None), "From"),
        (build_message(To=None, Cc=None), "To"),
    ],
)
def test_unusable_messages_name_the_header(raw, field):
    with pytest.raises(EmailParseError) as raised:
        parse_raw_email(raw)
    assert raised.value.field == field


def test_a_date_that_is_no_date_is_dropped():
    assert parse_raw_email(b"Date: yesterday-ish\n" + build_message(Date=None)).sent_at is None


def test_a_bad_sender_address_is_a_validation_error_on_sender():
    with pytest.raises((ValidationError, EmailParseError)):
        parse_raw_email(build_message(From="someone@localhost"))


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=2000))
def test_arbitrary_bytes_are_parsed_or_refused_with_a_reason(raw):
    try:
        contact = parse_raw_email(raw)
    except (EmailParseError, ValidationError):
        return
    assert "@" in contact.sender
    assert contact.to


header_lines = st.sampled_from(
    [
        b"From: a@example.com",
        b"From: <>",
        b"From: =?bogus?q?x?= <@@>",
        b"To: support@acme.test",
        b"To: undisclosed-recipients:;",
        b"Cc: ,,,",
        b"Message-ID: <x y>",
        b"In-Reply-To: <<<>>>",
        b"References: a b c",
        b"Date: Mon, 99 Foo 2026 99:99:99 +9999",
        b"Content-Type: multipart/mixed; boundary=",
        b"Content-Type: text/plain; charset=no-such-charset",
        b"Content-Transfer-Encoding: base64",
        b"Subject: =?utf-8?b?////?=",
    ]
)


@settings(max_examples=300, deadline=None)
@given(headers=st.lists(header_lines, max_size=10), body=st.binary(max_size=300))
def test_odd_headers_are_parsed_or_refused_with_a_reason(headers, body):
    try:
        contact = parse_raw_email(b"\r\n".join(headers) + b"\r\n\r\n" + body)
    except (EmailParseError, ValidationError):
        return
    assert contact.sender == "a@example.com"
    assert contact.to == ["support@acme.test"]
