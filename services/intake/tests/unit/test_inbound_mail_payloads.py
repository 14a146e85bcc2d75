"""Inbound-mail services' payloads as e-mail contacts: every published or captured sample
(fixtures/providers/README.md) becomes the contact its message is; a reply threads and an
auto-reply or bounce is told apart exactly as raw mail; Mailgun's signature is checked as
Mailgun documents it, on a captured POST's own signature; form bodies are read however the
lines end."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from switchboard.intake.domain.contacts import EmailContact
from switchboard.intake.domain.email_automated import AutomatedKind, AutomatedMail
from switchboard.intake.domain.email_parsing import EmailParseError, read_email
from switchboard.intake.domain.form_data import FormDataError, read_form
from switchboard.intake.domain.inbound_mailgun import (
    SeenTokens,
    SignatureRejected,
    mailgun_email,
    verify_mailgun_signature,
)
from switchboard.intake.domain.inbound_postmark import InboundMessage, postmark_email
from switchboard.intake.domain.inbound_sendgrid import sendgrid_email
from switchboard.intake.entrypoints.basic_auth import basic_credentials_match

from .inbound_mail_samples import (
    AUTO_REPLY_HEADERS,
    MAIL,
    MAILGUN_BOUNDARY,
    PROVIDERS,
    REPLY_HEADERS,
    REPLY_TEXT,
    SENDGRID_BOUNDARY,
    form_type,
    mailgun_raw,
    multipart,
    postmark,
    resign,
    sendgrid_parsed,
    wire,
)

CAPTURED_AT = datetime.fromtimestamp(1366071615, UTC)


def sendgrid(body: bytes) -> EmailContact | AutomatedMail:
    return sendgrid_email(read_form(body, form_type(SENDGRID_BOUNDARY)))


def contact(found: EmailContact | AutomatedMail) -> EmailContact:
    assert isinstance(found, EmailContact), found
    return found


def attachments(found: EmailContact) -> list[tuple[str | None, str, int]]:
    return [(a.filename, a.content_type, a.size_bytes) for a in found.attachments]


def test_sendgrid_parsed_capture_is_its_message():
    found = contact(sendgrid(wire("sendgrid_parsed.form")))
    assert (found.sender, found.sender_name) == ("james@opennorth.ca", "James McKinney")
    assert found.to == ["foo+bar@parolecitoyenne.com"]
    assert (found.subject, found.message_id) == (
        "Test",
        "D0AB77C1-A89D-4D9E-A207-5E20A6D36BEF@opennorth.ca",
    )
    assert found.sent_at == datetime(2013, 5, 16, 17, 33, 35, tzinfo=UTC)
    assert found.text == "bold text\n\n\n\nsome more bold text\n\n\n\nsome italic text"
    assert "> multiline" in found.full_text  # kept whole; the contact's text cuts it
    assert found.html_body is not None
    assert "<b>bold text</b>" in found.html_body
    assert attachments(found) == [
        ("foo.txt", "text/plain", 58),
        ("msg-12415-313.html", "text/html", 243),
        ("bar.txt", "text/plain", 39),
        ("msg-12415-314.html", "text/html", 642),
    ]


def test_sendgrid_as_stored_with_lf_line_ends_reads_the_same():
    stored = sendgrid((PROVIDERS / "sendgrid_parsed.form").read_bytes())
    on_the_wire = sendgrid(wire("sendgrid_parsed.form"))
    assert contact(stored).message_id == contact(on_the_wire).message_id
    assert contact(stored).text == contact(on_the_wire).text


def test_sendgrid_raw_mode_is_read_exactly_as_raw_mail():
    form = read_form(wire("sendgrid_raw.form"), form_type(SENDGRID_BOUNDARY))
    found = contact(sendgrid_email(form))
    raw = form.get("email")
    assert raw is not None
    assert found == read_email(raw.value, envelope_recipients=["test_test_test123@gmail.com"])
    assert (found.sender, found.to) == (
        "forwarding-noreply@google.com",
        ["test_test_test123@gmail.com"],
    )
    assert found.message_id == "CAF5GBptN93asLzEJvFTz_MLY0ftvfbVnaNNFdYdPcpX7qtnSgQ@mail.gmail.com"
    assert found.text.startswith("test_test@gmail.com has requested to automatically forward")


def test_sendgrid_fields_come_in_the_charsets_it_names_and_attachment_info_describes_files():
    # The shape of multi_mail's sendgrid/encoding.txt (text in windows-1252) and of the
    # documented default payload's attachment-info (a content-id for an inline image).
    body = multipart(
        [
            (
                "headers",
                "From: James <james@opennorth.ca>\r\nSubject: =?windows-1252?Q?Hello_=80?=\r\n",
            ),
            ("text", "World \u20ac".encode("cp1252")),
            ("charsets", json.dumps({"text": "windows-1252", "subject": "UTF-8"})),
            ("envelope", json.dumps({"to": ["help@acme.test"], "from": "james@opennorth.ca"})),
            ("attachment1:MG_2359.jpg:image/jpeg", b"\xff\xd8" + b"\x00" * 98),
            (
                "attachment-info",
                json.dumps(
                    {
                        "attachment1": {
                            "filename": "MG_2359.jpg",
                            "type": "image/jpeg",
                            "content-id": "ii_1562e2169c132d83",
                        }
                    }
                ),
            ),
        ]
    )
    found = contact(sendgrid(body))
    assert (found.subject, found.text) == ("Hello \u20ac", "World \u20ac")
    assert found.to == ["help@acme.test"]  # no To: header, the envelope's recipient
    [image] = found.attachments
    assert (image.filename, image.content_type, image.size_bytes, image.content_id) == (
        "MG_2359.jpg",
        "image/jpeg",
        100,
        "ii_1562e2169c132d83",
    )


def test_postmark_documented_example():
    found = contact(
        postmark_email(InboundMessage.model_validate(postmark("postmark_docs_example.json")))
    )
    assert (found.sender, found.sender_name) == ("support@postmarkapp.com", "Postmarkapp Support")
    assert found.to == ["yourhash+samplehash@inbound.postmarkapp.com"]
    assert found.cc == ["firstcc@postmarkapp.com", "secondcc@postmarkapp.com"]
    assert (found.subject, found.text) == ("Test subject", "This is a test text body.")
    assert found.html_body == "<html><body><p>This is a test html body.</p></body></html>"
    assert found.message_id is None  # the example has no Message-ID header
    assert attachments(found) == [("test.txt", "text/plain", 45)]


def test_postmark_capture_keeps_the_message_id_of_its_headers():
    found = contact(postmark_email(InboundMessage.model_validate(postmark())))
    assert (found.sender, found.sender_name) == ("alexi@opennorth.ca", "alexi garrow")
    assert found.message_id == "CC582E53-9887-4460-8049-EB360996EE62@opennorth.ca"
    assert found.sent_at == datetime(2013, 5, 14, 19, 30, 36, tzinfo=UTC)
    assert (found.text, attachments(found)) == (
        "This message is a test\n",
        [("foo.txt", "text/plain", 168)],
    )


def test_a_charset_that_decodes_to_no_text_falls_back_as_in_raw_mail():
    # UTF-7 can spell a lone surrogate (+2AA-), which no database stores as text.
    body = multipart(
        [
            ("headers", "From: a@kunde.dk\r\n"),
            ("text", b"hi +2AA-"),
            ("charsets", json.dumps({"text": "utf-7"})),
        ]
    )
    raw = b"From: a@kunde.dk\r\nContent-Type: text/plain; charset=utf-7\r\n\r\nhi +2AA-"
    assert contact(sendgrid(body)).text == contact(read_email(raw)).text == "hi +2AA-"


def test_nul_characters_are_dropped_from_the_bodies_as_in_raw_mail():
    found = contact(postmark_email(InboundMessage.model_validate(postmark(TextBody="a\x00b"))))
    assert found.text == "ab"


def test_postmark_raw_email_is_read_as_raw_mail():
    raw = (MAIL / "duplicated_in_reply_to.eml").read_bytes()
    found = postmark_email(InboundMessage.model_validate(postmark(RawEmail=raw.decode("utf-8"))))
    assert found == read_email(raw, envelope_recipients=[])


def test_mailgun_parsed_capture_is_its_message():
    form = read_form(wire("mailgun_parsed.form"), form_type(MAILGUN_BOUNDARY))
    found = contact(mailgun_email(form))
    assert (found.sender, found.to, found.subject) == (
        "james@opennorth.ca",
        ["foo+bar@multimail.mailgun.org"],
        "Test",
    )
    assert found.message_id == "E102015D-F580-4316-81FA-7324838A3AE8@opennorth.ca"
    assert found.text == "bold text\n\n\n\nsome more bold text\n\n\n\nsome italic text"
    assert attachments(found) == [("foo.txt", "text/plain", 58), ("bar.txt", "text/plain", 39)]


def test_mailgun_raw_mime_is_read_exactly_as_raw_mail():
    form = read_form(mailgun_raw(), "application/x-www-form-urlencoded")
    found = contact(mailgun_email(form))
    raw = (PROVIDERS / "mailgun_body_mime.eml").read_bytes()
    assert found == read_email(raw, envelope_recipients=["foo+bar@multimail.mailgun.org"])
    assert found.message_id == "99CF7D8C-FCD4-443F-8E04-69C4E470D18F@opennorth.ca"
    assert attachments(found) == [("foo.txt", "text/plain", 58), ("bar.txt", "text/plain", 39)]


def test_mailgun_store_notify_attachments_are_described_by_its_json_list():
    body = urlencode(
        {
            "from": "Ann <ann@kunde.dk>",
            "subject": "Faktura",
            "recipient": "help@acme.test",
            "body-plain": "Se vedhæftet.",
            "attachments": json.dumps(
                [
                    {
                        "url": "https://storage.mailgun.net/v3/x",
                        "content-type": "application/pdf",
                        "name": "faktura.pdf",
                        "size": 48213,
                    }
                ]
            ),
        }
    ).encode()
    found = contact(mailgun_email(read_form(body, "application/x-www-form-urlencoded")))
    assert (found.sender, found.to, found.text) == (
        "ann@kunde.dk",
        ["help@acme.test"],
        "Se vedhæftet.",
    )
    assert attachments(found) == [("faktura.pdf", "application/pdf", 48213)]


def reply_through_each_service() -> dict[str, EmailContact | AutomatedMail]:
    headers = [
        (line.split(":", 1)[0], line.split(":", 1)[1].strip())
        for line in REPLY_HEADERS.strip().split("\r\n")
    ]
    postmark_headers = [
        {"Name": n, "Value": v}
        for n, v in headers
        if n in {"Message-ID", "In-Reply-To", "References"}
    ]
    return {
        "raw": read_email((REPLY_HEADERS + "\r\n" + REPLY_TEXT).encode()),
        "sendgrid": sendgrid(sendgrid_parsed(REPLY_HEADERS, REPLY_TEXT)),
        "postmark": postmark_email(
            InboundMessage.model_validate(
                {
                    "FromFull": {"Email": "bjorn@kunde.dk", "Name": "Bjørn Hansen"},
                    "ToFull": [{"Email": "support@acme.test", "Name": ""}],
                    "Subject": "Re: Ordre 4411",
                    "Date": "Mon, 07 Dec 2026 09:15:00 +0100",
                    "TextBody": REPLY_TEXT,
                    "Headers": postmark_headers,
                }
            )
        ),
        "mailgun": mailgun_email(
            read_form(
                urlencode(
                    {
                        "message-headers": json.dumps(headers),
                        "body-plain": REPLY_TEXT,
                        "recipient": "support@acme.test",
                    }
                ).encode(),
                "application/x-www-form-urlencoded",
            )
        ),
    }


def test_a_reply_threads_the_same_through_every_service():
    found = {name: contact(each) for name, each in reply_through_each_service().items()}
    for name, each in found.items():
        assert (each.sender, each.sender_name, each.subject) == (
            "bjorn@kunde.dk",
            "Bjørn Hansen",
            "Re: Ordre 4411",
        ), name
        assert each.message_id == "reply-2@kunde.dk", name
        assert each.in_reply_to == "case-1@switchboard.invalid", name
        assert each.references == ["first-0@kunde.dk", "case-1@switchboard.invalid"], name
        assert each.thread_refs == found["raw"].thread_refs, name
        assert each.text == "Pakken er stadig ikke kommet.", name


def test_auto_replies_and_bounces_are_told_apart_as_in_raw_mail():
    auto_headers = [
        {"Name": "Message-ID", "Value": "<ooo-1@kunde.fi>"},
        {"Name": "Auto-Submitted", "Value": "auto-replied"},
    ]
    bounce = (MAIL / "cpython_msg_25.eml").read_bytes()
    found = {
        "sendgrid": sendgrid(sendgrid_parsed(AUTO_REPLY_HEADERS, "Olen lomalla.")),
        "postmark": postmark_email(
            InboundMessage.model_validate(
                {
                    "FromFull": {"Email": "anna@kunde.fi"},
                    "TextBody": "Olen lomalla.",
                    "Headers": auto_headers,
                }
            )
        ),
        "mailgun": mailgun_email(
            read_form(
                urlencode(
                    {"from": "anna@kunde.fi", "X-Autoreply": "yes", "body-plain": "Olen lomalla."}
                ).encode(),
                "application/x-www-form-urlencoded",
            )
        ),
    }
    for name, each in found.items():
        assert isinstance(each, AutomatedMail), name
        assert each.kind is AutomatedKind.AUTO_REPLY, name
    bounced = sendgrid(multipart([("email", bounce), ("envelope", '{"to":["help@acme.test"]}')]))
    assert bounced == read_email(bounce)
    assert isinstance(bounced, AutomatedMail)
    assert bounced.kind is AutomatedKind.BOUNCE


def test_without_their_header_lists_the_services_own_fields_stand_in():
    sendgrid_fields = multipart(
        [
            ("from", "Åsa Nyström <asa@kunde.se>"),
            ("to", "help@acme.test"),
            ("subject", "Hjälp"),
            ("text", "Hej!"),
            ("charsets", json.dumps({"from": "UTF-8", "subject": "UTF-8"})),
        ]
    )
    mailgun_fields = urlencode(
        {
            "from": "Åsa Nyström <asa@kunde.se>",
            "subject": "Hjälp",
            "recipient": "help@acme.test",
            "message-headers": "not json",
            "Message-Id": "<m-1@kunde.se>",
            "In-Reply-To": "<r-0@acme.test>",
            "body-plain": "Hej!",
        }
    ).encode()
    for found in (
        contact(sendgrid(sendgrid_fields)),
        contact(mailgun_email(read_form(mailgun_fields, "application/x-www-form-urlencoded"))),
    ):
        assert (found.sender, found.sender_name) == ("asa@kunde.se", "Åsa Nyström")
        assert (found.to, found.subject, found.text) == (["help@acme.test"], "Hjälp", "Hej!")
    assert found.message_id == "m-1@kunde.se"
    assert found.in_reply_to == "r-0@acme.test"


def test_form_parts_read_quoted_boundaries_and_encoded_filenames():
    body = (
        b'--b\r\nContent-Disposition: form-data; name="attachment1"; '
        b"filename*=UTF-8''faktura%20%C3%B8.pdf\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n"
        b"--b--\r\n"
    )
    [field] = read_form(body, 'multipart/form-data; boundary="b"').fields
    assert (field.name, field.filename, field.content_type, field.value) == (
        "attachment1",
        "faktura ø.pdf",
        "application/pdf",
        b"%PDF",
    )


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"not a form", "multipart/form-data; boundary=xYzZY"),
        (b"--xYzZY\r\nno header block", "multipart/form-data; boundary=xYzZY"),
        (
            b"--xYzZY\r\nContent-Disposition: form-data\r\n\r\nx\r\n--xYzZY--",
            "multipart/form-data; boundary=xYzZY",
        ),
        (b"", "multipart/form-data"),
        (b"{}", "application/json"),
        (b"&".join([b"a=1"] * 1001), "application/x-www-form-urlencoded"),
    ],
)
def test_a_body_that_is_not_the_form_it_announces_is_refused(body, content_type):
    with pytest.raises(FormDataError):
        read_form(body, content_type)


def test_a_message_with_no_sender_anywhere_is_not_email():
    with pytest.raises(EmailParseError):
        sendgrid(multipart([("text", "hello"), ("to", "help@acme.test")]))
    with pytest.raises(EmailParseError):
        postmark_email(InboundMessage.model_validate({"TextBody": "hello"}))


def test_mailgun_signature_of_the_capture_verifies_under_its_key():
    form = read_form(wire("mailgun_parsed.form"), form_type(MAILGUN_BOUNDARY))
    moment = CAPTURED_AT + timedelta(seconds=30)
    assert verify_mailgun_signature(form, signing_key="foo", now=moment) == (
        "5o56tmpwd3dnwthehwclemd-i-7u2gv9vb3u745ywj67d0mc87"
    )
    for key, now, reason in [
        ("bar", moment, "does not match"),
        ("foo", CAPTURED_AT + timedelta(minutes=6), "more than 5 minutes off"),
        ("foo", CAPTURED_AT - timedelta(minutes=6), "more than 5 minutes off"),
    ]:
        with pytest.raises(SignatureRejected, match=reason):
            verify_mailgun_signature(form, signing_key=key, now=now)
    tampered = read_form(
        urlencode(
            {
                "timestamp": "1366071615",
                "token": "x" * 50,
                "signature": "bc2ab6c1080d52f2a06928b93f21e86c2d28c548e2ef64354f8ba1a95bb53cd6",
            }
        ).encode(),
        "application/x-www-form-urlencoded",
    )
    with pytest.raises(SignatureRejected, match="does not match"):
        verify_mailgun_signature(tampered, signing_key="foo", now=moment)
    unsigned = read_form(b"timestamp=1366071615", "application/x-www-form-urlencoded")
    with pytest.raises(SignatureRejected, match="required"):
        verify_mailgun_signature(unsigned, signing_key="foo", now=moment)


def test_a_subaccount_post_verifies_under_the_primary_account_key_too():
    # Mailgun's "Securing Webhooks": a subaccount's POST adds parent-signature.
    fields = resign(
        {"timestamp": "1366071615", "token": "5o56tmpwd3dnwthehwclemd-i-7u2gv9vb3u745ywj67d0mc87"},
        "sub-key",
    )
    fields["parent-signature"] = resign(fields, "foo")["signature"]
    form = read_form(urlencode(fields).encode(), "application/x-www-form-urlencoded")
    moment = CAPTURED_AT + timedelta(seconds=30)
    for key in ("sub-key", "foo"):
        assert verify_mailgun_signature(form, signing_key=key, now=moment)
    with pytest.raises(SignatureRejected):
        verify_mailgun_signature(form, signing_key="other", now=moment)


def test_a_token_brings_one_message_but_may_bring_it_again():
    seen, now = SeenTokens(), datetime.now(UTC)
    assert seen.admit("t1", "digest-a", now)
    assert seen.admit("t1", "digest-a", now + timedelta(seconds=10))  # a retry
    assert not seen.admit("t1", "digest-b", now + timedelta(seconds=20))  # a replay
    assert seen.admit("t1", "digest-b", now + timedelta(minutes=6))  # stale by then anyway


def test_basic_credentials_are_the_adapter_id_and_one_of_its_secrets():
    import base64

    def header(user: str, password: str) -> str:
        return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    secrets = ("whsec_new+/=", "whsec_old")
    assert basic_credentials_match(
        header("mail-1", "whsec_new+/="), user="mail-1", passwords=secrets
    )
    assert basic_credentials_match(header("mail-1", "whsec_old"), user="mail-1", passwords=secrets)
    assert basic_credentials_match(
        header("mail-1", "whsec_new+%2F="), user="mail-1", passwords=secrets
    )
    for wrong in [
        header("mail-2", "whsec_old"),
        header("mail-1", "nope"),
        "Bearer x",
        "Basic !!",
        None,
    ]:
        assert not basic_credentials_match(wrong, user="mail-1", passwords=secrets)


NOT_EMAIL = (FormDataError, EmailParseError, ValidationError, UnicodeError)
field_names = st.sampled_from(
    [
        "from",
        "to",
        "cc",
        "subject",
        "text",
        "html",
        "headers",
        "envelope",
        "charsets",
        "attachment-info",
        "attachment1",
        "email",
        "recipient",
        "body-plain",
        "body-html",
        "message-headers",
        "attachments",
        "body-mime",
        "From",
        "Message-Id",
        "In-Reply-To",
    ]
)
field_values = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            b"{}",
            b"[]",
            b'{"to": 5}',
            b'[["From", 1]]',
            b'{"attachment1": []}',
            b"\xff\xfe",
            b"From: a@kunde.dk\r\n",
            b"a@kunde.dk",
            b'{"text": "no-such-charset"}',
        ]
    ),
)


@settings(max_examples=300, deadline=None)
@given(fields=st.lists(st.tuples(field_names, field_values), max_size=8))
def test_any_form_is_a_contact_or_a_4xx_reason_never_a_crash(fields):
    body = multipart([(name, value) for name, value in fields])
    form = read_form(body, form_type(SENDGRID_BOUNDARY))
    for mapping in (sendgrid_email, mailgun_email):
        try:
            found = mapping(form)
        except NOT_EMAIL:
            continue
        assert isinstance(found, EmailContact | AutomatedMail)


@settings(max_examples=200, deadline=None)
@given(
    document=st.dictionaries(
        st.sampled_from(
            [
                "FromFull",
                "From",
                "ToFull",
                "CcFull",
                "Subject",
                "Date",
                "TextBody",
                "HtmlBody",
                "Headers",
                "Attachments",
                "RawEmail",
                "MessageID",
            ]
        ),
        st.one_of(
            st.text(max_size=50),
            st.none(),
            st.just({"Email": "a@kunde.dk", "Name": "Å"}),
            st.just([{"Name": "Auto-Submitted", "Value": "auto-replied"}]),
            st.just([{"Name": "x.pdf", "ContentType": "bad type", "ContentLength": 7}]),
        ),
    )
)
def test_any_postmark_document_is_a_contact_or_a_4xx_reason_never_a_crash(document):
    try:
        found = postmark_email(InboundMessage.model_validate_json(json.dumps(document)))
    except NOT_EMAIL:
        return
    assert isinstance(found, EmailContact | AutomatedMail)
