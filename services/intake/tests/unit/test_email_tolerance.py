"""What real mail servers deliver becomes a contact, or is recognised as automated mail;
the fixtures and their sources are listed in fixtures/mail/README.md."""

import base64
from pathlib import Path

import pytest

from switchboard.intake.domain.email_automated import AutomatedKind, AutomatedMail
from switchboard.intake.domain.email_parsing import EmailParseError, read_email

MAIL = Path(__file__).parent / "fixtures" / "mail"


def fixture(name: str) -> bytes:
    return (MAIL / name).read_bytes()


def contact_of(name: str):
    contact = read_email(fixture(name))
    assert not isinstance(contact, AutomatedMail), contact
    return contact


def test_several_and_broken_ids_in_in_reply_to_and_references_keep_the_valid_ones():
    mail = contact_of("duplicated_in_reply_to.eml")
    assert mail.in_reply_to == "reply-1@acme.test"
    assert mail.references == ["ann-1@example.dk", "reply-1@acme.test"]
    assert mail.thread_refs == ("email:reply-1@acme.test", "email:ann-1@example.dk")


def test_no_to_header_gives_no_recipient_or_the_envelope_s():
    assert contact_of("cpython_msg_31.eml").to == []
    envelope = read_email(fixture("cpython_msg_31.eml"), envelope_recipients=["help@acme.test"])
    assert envelope.to == ["help@acme.test"]
    delivered = read_email(b"Delivered-To: help@acme.test\r\n" + fixture("cpython_msg_31.eml"))
    assert delivered.to == ["help@acme.test"]


def test_raw_8bit_headers_are_decoded_utf8_first_then_latin1():
    latin1 = contact_of("latin1_display_name.eml")
    assert (latin1.sender_name, latin1.subject) == ("Maïte Grégoire", "Problème de livraison")
    utf8 = contact_of("cpython_non_latin_bin_msg.eml")
    assert utf8.subject.startswith("Maintenant je vous présente mon collègue")
    assert utf8.to == [], "'báz' is no address"
    assert utf8.text.strip() == "Да, они летят."


def test_a_boundary_the_body_does_not_use_is_recovered_from_the_body():
    assert contact_of("cpython_msg_31.eml").text.strip() == "message 1"


def test_a_multipart_without_boundary_keeps_its_body_as_text():
    assert contact_of("cpython_msg_41.eml").text.strip() == "Blah blah blah"


def test_html_only_becomes_text_without_script_style_or_quoted_history():
    mail = contact_of("html_only_reply_nb.eml")
    assert mail.text == "Pakken er fortsatt ikke kommet.\n\nHilsen Kari"
    assert "blockquote" in (mail.html_body or ""), "the original HTML is kept"


def test_attachments_give_only_metadata():
    mail = contact_of("cpython_msg_22.eml")
    assert [(a.filename, a.content_type) for a in mail.attachments][:2] == [
        ("wibble.JPG", "image/jpeg"),
        ("wibble2.JPG", "image/jpeg"),
    ]


def large_attachment_message(size: int) -> bytes:
    blob = base64.encodebytes(b"\xff" * size).replace(b"\n", b"\r\n")
    return (
        b"From: Ola <ola@example.no>\r\nTo: support@acme.test\r\nSubject: Bilde\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain\r\n\r\nSe vedlegg.\r\n--b1\r\n"
        b"Content-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="skade.jpg"\r\n\r\n' + blob + b"--b1--\r\n"
    )


def test_a_large_attachment_is_its_size_not_its_content():
    mail = read_email(large_attachment_message(600_000))
    assert not isinstance(mail, AutomatedMail)
    [attachment] = mail.attachments
    assert (attachment.filename, attachment.size_bytes) == ("skade.jpg", 600_000)
    assert mail.text.strip() == "Se vedlegg."


def test_an_overlong_text_is_cut_not_refused():
    raw = b"From: a@example.com\r\nTo: b@example.com\r\n\r\n" + b"x" * 300_000
    mail = read_email(raw)
    assert not isinstance(mail, AutomatedMail)
    assert len(mail.text_body or "") == 200_000


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("auto_replied.eml", AutomatedKind.AUTO_REPLY),
        ("cpython_msg_16.eml", AutomatedKind.BOUNCE),
        ("cpython_msg_25.eml", AutomatedKind.BOUNCE),
        ("cpython_msg_43.eml", AutomatedKind.BOUNCE),
    ],
)
def test_auto_replies_and_bounces_are_recognised(name, kind):
    automated = read_email(fixture(name))
    assert isinstance(automated, AutomatedMail)
    assert automated.kind is kind


@pytest.mark.parametrize(
    "header",
    [
        b"X-Autoreply: yes",
        b"X-Autorespond: Out of office",
        b"Precedence: auto_reply",
        b"Auto-Submitted: auto-replied",
        b"Auto-Submitted: auto-notified; owner-email=a@example.com",
        b"Return-Path: <>",
        b"Content-Type: multipart/report; report-type=disposition-notification; boundary=x",
    ],
)
def test_each_automated_mark_is_enough(header):
    raw = header + b"\r\nFrom: a@example.com\r\nTo: support@acme.test\r\n\r\nHi\r\n"
    assert isinstance(read_email(raw), AutomatedMail)


@pytest.mark.parametrize(
    "header",
    [
        b"Auto-Submitted: no",
        # A web form or a shop sending on the customer's behalf: what they wrote counts.
        b"Auto-Submitted: auto-generated",
        b"Precedence: bulk",
        b"Precedence: list",
    ],
)
def test_mail_a_program_sent_but_not_in_answer_is_a_contact(header):
    raw = header + b"\r\nFrom: a@example.com\r\nTo: support@acme.test\r\n\r\nHi\r\n"
    assert not isinstance(read_email(raw), AutomatedMail)


@pytest.mark.parametrize(
    "raw", [b"", b"\x00\x01\x02\xff binary", b"just some text\r\nwithout headers", b": empty\r\n"]
)
def test_what_is_not_email_at_all_is_refused_with_the_reason(raw):
    with pytest.raises(EmailParseError) as refused:
        read_email(raw)
    assert refused.value.field == "message"
    assert "header" in refused.value.reason
