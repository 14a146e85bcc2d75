import pytest
from pydantic import ValidationError

from switchboard.intake.domain.contacts import (
    ChatContact,
    EmailContact,
    PhoneContact,
    SocialContact,
    html_to_text,
    normalise_message_id,
)
from switchboard.intake.domain.identity import IdentityKey, IdentityKind
from switchboard.intake.domain.values import Channel, Priority


def error_locations(error: ValidationError) -> set[tuple]:
    return {tuple(detail["loc"]) for detail in error.errors()}


def test_phone_contact_normalises_numbers_and_names_its_thread():
    call = PhoneContact.model_validate(
        {
            "event": "voicemail",
            "call_id": "CA-1",
            "caller_country": "DK",
            "caller_number": "32 12 34 56",
            "ivr_selection": {"digits": "2", "department": "billing"},
            "transcript": "Ring venligst tilbage",
        }
    )
    assert call.caller_number == "+4532123456"
    assert call.provider_message_id == "CA-1:voicemail"
    assert call.own_thread_ref == "call:CA-1"
    assert call.department == "billing"
    assert call.text == "Ring venligst tilbage"
    assert call.identities() == (IdentityKey(IdentityKind.PHONE, "+4532123456"),)
    assert call.channel is Channel.PHONE


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"caller_number": "12"}, ("caller_number",)),
        ({"event": "hung_up"}, ("event",)),
        ({"ivr_selection": {"digits": "1a"}}, ("ivr_selection", "digits")),
        ({"priority": 9}, ("priority",)),
        ({"duration_seconds": -1}, ("duration_seconds",)),
        ({"unknown_field": 1}, ("unknown_field",)),
        ({"call_id": "  "}, ("call_id",)),
    ],
)
def test_phone_contact_errors_name_the_field(change, location):
    body = {"event": "call_started", "call_id": "CA-1", "caller_number": "+4532123456"} | change
    with pytest.raises(ValidationError) as raised:
        PhoneContact.model_validate(body)
    assert location in error_locations(raised.value)


def email_body(**change):
    return {
        "sender": ["Ann ", "ann@example.com>"][1].rstrip(">"),
        "to": ["Support@Acme.test"],
        "subject": "Invoice",
        "text_body": "Bonjour, ma facture est fausse.",
        "message_id": "<m2@example.com>",
        "in_reply_to": "<m1@acme.test>",
        "references": ["<m0@example.com>", "<m1@acme.test>"],
    } | change


def test_email_contact_threads_on_reply_headers_most_recent_first():
    mail = EmailContact.model_validate(email_body())
    assert mail.to == ["support@acme.test"]
    assert mail.subject == "Invoice"
    assert mail.provider_message_id == "m2@example.com"
    assert mail.thread_refs == ("email:m1@acme.test", "email:m0@example.com")
    assert mail.own_thread_ref == "email:m2@example.com"


def test_email_text_falls_back_to_html():
    mail = EmailContact.model_validate(
        email_body(text_body=None, html_body="<style>p{}</style><p>Hej &amp; tak</p>")
    )
    assert mail.text == "Hej & tak"


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"sender": "not-an-address"}, ("sender",)),
        ({"to": ["ok@acme.test", "broken"]}, ("to", 1)),
        ({"message_id": "<two words@x>"}, ("message_id",)),
        ({"references": ["ok@x", "bad id"]}, ("references", 1)),
        (
            {"attachments": [{"content_type": "pdf", "size_bytes": 1}]},
            ("attachments", 0, "content_type"),
        ),
        (
            {"attachments": [{"content_type": "a/b", "size_bytes": -1}]},
            ("attachments", 0, "size_bytes"),
        ),
        ({"sent_at": "2026-11-24T07:00:00"}, ("sent_at",)),
    ],
)
def test_email_contact_errors_name_the_field(change, location):
    with pytest.raises(ValidationError) as raised:
        EmailContact.model_validate(email_body(**change))
    assert location in error_locations(raised.value)


def test_chat_contact_collects_every_identity_of_the_visitor():
    chat = ChatContact.model_validate(
        {
            "session_id": "S-9",
            "message_id": "7",
            "visitor": {"id": "v-1", "email": "Eva@Example.SE", "phone": "+46 8 123 456 78"},
            "message": "Hej! Jag behöver hjälp med min beställning.",
            "priority": 2,
        }
    )
    assert chat.priority is Priority.HIGH
    assert chat.provider_message_id == "S-9:7"
    assert chat.thread_refs == ("chat:S-9",)
    assert {key.kind for key in chat.identities()} == {
        IdentityKind.CHAT_VISITOR,
        IdentityKind.EMAIL,
        IdentityKind.PHONE,
    }


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"message": "   "}, ("message",)),
        ({"visitor": {"id": "v", "email": "nope"}}, ("visitor", "email")),
        ({"visitor": {}}, ("visitor", "id")),
        ({"message": "x" * 20_001}, ("message",)),
    ],
)
def test_chat_contact_errors_name_the_field(change, location):
    body = {"session_id": "S", "visitor": {"id": "v"}, "message": "hello"} | change
    with pytest.raises(ValidationError) as raised:
        ChatContact.model_validate(body)
    assert location in error_locations(raised.value)


@pytest.mark.parametrize(
    ("model", "body", "where"),
    [
        (
            ChatContact,
            {"session_id": "S\x00", "visitor": {"id": "v"}, "message": "hi"},
            "session_id",
        ),
        (ChatContact, {"session_id": "S", "visitor": {"id": "v"}, "message": "a\x00b"}, "message"),
        (EmailContact, email_body(references=["<a@b>", "<\x00@b>"]), "references.1"),
        (
            PhoneContact,
            {
                "event": "voicemail",
                "call_id": "c",
                "caller_number": "+4520202020",
                "ivr_selection": {"digits": "1", "department": "\x00"},
            },
            "ivr_selection.department",
        ),
    ],
)
def test_a_nul_character_anywhere_is_refused_and_located(model, body, where):
    with pytest.raises(ValidationError) as raised:
        model.model_validate(body)
    assert f"{where} contains a NUL character" in str(raised.value)


def test_social_contact_normalises_platform_and_handle():
    post = SocialContact.model_validate(
        {
            "platform": "Twitter",
            "handle": "@Kasia_PL",
            "visibility": "public",
            "kind": "post",
            "item_id": "1861",
            "conversation_id": "1850",
            "text": "Dzień dobry, moja paczka nie dotarła.",
        }
    )
    assert post.platform == "x"
    assert post.handle == "kasia_pl"
    assert post.provider_message_id == "x:1861"
    assert post.thread_refs == ("social:x:1850",)
    assert post.identities() == (IdentityKey(IdentityKind.SOCIAL, "x:kasia_pl"),)


def test_social_contact_without_conversation_starts_its_own_thread():
    post = SocialContact.model_validate(
        {
            "platform": "x",
            "handle": "a",
            "visibility": "private",
            "kind": "message",
            "item_id": "5",
            "text": "hi",
        }
    )
    assert post.thread_refs == ()
    assert post.own_thread_ref == "social:x:5"


def test_social_contact_rejects_a_handle_invalid_for_its_platform():
    with pytest.raises(ValidationError) as raised:
        SocialContact.model_validate(
            {
                "platform": "x",
                "handle": "much_too_long_for_x",
                "visibility": "public",
                "kind": "post",
                "item_id": "1",
                "text": "hi",
            }
        )
    assert ("handle",) in error_locations(raised.value)


@pytest.mark.parametrize(
    ("raw", "expected"), [("<a@b>", "a@b"), (" a@b ", "a@b"), ("<a.b+c@d.e>", "a.b+c@d.e")]
)
def test_message_ids_lose_their_brackets(raw, expected):
    assert normalise_message_id(raw) == expected


def test_html_to_text_drops_scripts_and_tags():
    assert html_to_text("<script>x()</script><style>p{}</style><div>a<br>b</div>") == "a\nb"


def test_the_adapters_country_applies_to_national_numbers():
    body = {"event": "call_missed", "call_id": "c", "caller_number": "01 42 68 53 00"}
    call = PhoneContact.model_validate(body, context={"default_country": "FR"})
    assert call.caller_number == "+33142685300"
    with pytest.raises(ValidationError):
        PhoneContact.model_validate(body)
    explicit = PhoneContact.model_validate(
        body | {"caller_country": "FR"}, context={"default_country": "DK"}
    )
    assert explicit.caller_number == "+33142685300"
