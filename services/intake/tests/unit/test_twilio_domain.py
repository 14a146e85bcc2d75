"""Twilio's signature against the SDKs' own test vectors; every published message and call
sample becomes a contact or is ignored, as documented; the Messages API request a reply
makes, and what Twilio's answers and status callbacks say."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest

from switchboard.intake.domain.contacts import PhoneContact
from switchboard.intake.domain.credentials import SendOrigin
from switchboard.intake.domain.identity import IdentityKey, IdentityKind
from switchboard.intake.domain.replies import ReplyDelivery
from switchboard.intake.domain.twilio_credentials import TwilioAccount
from switchboard.intake.domain.twilio_sends import (
    SEND_MESSAGE,
    answer_of,
    basic_auth,
    create_message,
    failure_reason,
    messages_url,
    reported_delivery,
    send_body,
    voicemail_twiml,
)
from switchboard.intake.domain.twilio_signatures import (
    body_hash,
    form_signature_matches,
    json_signature_matches,
    signature,
    url_spellings,
)
from switchboard.intake.domain.twilio_webhooks import (
    CallReport,
    Ignored,
    InboundMessage,
    MalformedForm,
    TwilioMessageContact,
    TwilioVoicemail,
    call_contact,
    form_parameters,
    message_contact,
)
from switchboard.intake.service_layer.delivery_outcomes import outcome_of
from switchboard.servicekit.deliveries import DeliveryStatus, Settled

from .twilio_samples import (
    CALL_SAMPLES,
    CREATED,
    DOCS_PARAMETERS,
    DOCS_SIGNATURE,
    INVALID_TO,
    MESSAGE_SAMPLES,
    SMS,
    VECTOR_BODY,
    VECTOR_BODY_HASH,
    VECTOR_BODY_SIGNATURE,
    VECTOR_EMPTY_BODY_HASH,
    VECTOR_EMPTY_BODY_SIGNATURE,
    VECTOR_PARAMETERS,
    VECTOR_REPEATED,
    VECTOR_REPEATED_SIGNATURE,
    VECTOR_SIGNATURE,
    VECTOR_SIGNATURES_BY_URL,
    VECTOR_TOKEN,
    VECTOR_URL,
)


def as_form(parameters: dict[str, str]) -> dict[str, list[str]]:
    return {name: [value] for name, value in parameters.items()}


def test_the_signature_is_twilio_s_for_its_documented_example():
    assert signature(VECTOR_TOKEN, VECTOR_URL, as_form(DOCS_PARAMETERS)) == DOCS_SIGNATURE
    urlencoded = form_parameters(
        b"To=%2B18005551212&CallSid=CA1234567890ABCDE&Digits=1234"
        b"&From=%2B12349013030&Caller=%2B12349013030"
    )
    assert form_signature_matches(
        DOCS_SIGNATURE, auth_tokens=[VECTOR_TOKEN], url=VECTOR_URL, parameters=urlencoded
    )


def test_the_signature_is_the_sdks_for_their_test_vector():
    assert signature(VECTOR_TOKEN, VECTOR_URL, as_form(VECTOR_PARAMETERS)) == VECTOR_SIGNATURE
    assert signature(VECTOR_TOKEN, VECTOR_URL, VECTOR_REPEATED) == VECTOR_REPEATED_SIGNATURE
    assert body_hash(VECTOR_BODY) == VECTOR_BODY_HASH
    assert body_hash(b"{}") == VECTOR_EMPTY_BODY_HASH


@pytest.mark.parametrize(("url", "expected"), list(VECTOR_SIGNATURES_BY_URL.items()))
def test_a_signature_matches_with_and_without_the_port_as_the_sdks_accept(url, expected):
    assert form_signature_matches(
        expected, auth_tokens=[VECTOR_TOKEN], url=url, parameters=as_form(VECTOR_PARAMETERS)
    )


def test_a_wrong_signature_token_url_or_parameter_does_not_match():
    form = as_form(VECTOR_PARAMETERS)
    good = {"auth_tokens": [VECTOR_TOKEN], "url": VECTOR_URL, "parameters": form}
    assert form_signature_matches(VECTOR_SIGNATURE, **good)
    for given in (None, "", "WRONG_SIGNATURE", VECTOR_SIGNATURE[:-2], "é"):
        assert not form_signature_matches(given, **good)
    assert not form_signature_matches(VECTOR_SIGNATURE, **good | {"auth_tokens": ["54321"]})
    assert not form_signature_matches(VECTOR_SIGNATURE, **good | {"auth_tokens": []})
    tampered_url = VECTOR_URL + "&somethingUnexpected=true"  # twilio-node's middleware test
    assert not form_signature_matches(VECTOR_SIGNATURE, **good | {"url": tampered_url})
    tampered = form | {"Digits": ["1235"]}
    assert not form_signature_matches(VECTOR_SIGNATURE, **good | {"parameters": tampered})
    assert form_signature_matches(VECTOR_SIGNATURE, **good | {"auth_tokens": ["x", "12345"]})


def test_a_json_body_is_signed_by_its_hash_in_the_url():
    url = f"{VECTOR_URL}&bodySHA256={VECTOR_BODY_HASH}"
    signed = {"auth_tokens": [VECTOR_TOKEN], "url": url}
    assert json_signature_matches(VECTOR_BODY_SIGNATURE, body=VECTOR_BODY, **signed)
    assert not json_signature_matches(VECTOR_BODY_SIGNATURE, body=VECTOR_BODY + b" ", **signed)
    empty = f"{VECTOR_URL}&bodySHA256={VECTOR_EMPTY_BODY_HASH}"
    assert json_signature_matches(
        VECTOR_EMPTY_BODY_SIGNATURE, auth_tokens=[VECTOR_TOKEN], url=empty, body=b"{}"
    )
    # twilio-node: a body without bodySHA256 in the URL fails
    assert not json_signature_matches(
        VECTOR_SIGNATURE, auth_tokens=[VECTOR_TOKEN], url=VECTOR_URL, body=VECTOR_BODY
    )


def test_url_spellings_keep_userinfo_and_add_or_drop_the_port():
    assert url_spellings("https://u:p@h.test:8443/x?a=1") == (
        "https://u:p@h.test:8443/x?a=1",
        "https://u:p@h.test/x?a=1",
    )
    assert url_spellings("http://h.test/x") == ("http://h.test/x", "http://h.test:80/x")


def test_form_bodies_parse_with_blank_values_and_malformed_ones_are_refused():
    assert form_parameters(b"A=1&B=&C=x+y%2B") == {"A": ["1"], "B": [""], "C": ["x y+"]}
    assert form_parameters(b"") == {}
    for malformed in (b"\xff\xfe=1", b"A=%ff", b"just-text", b"&".join([b"a=1"] * 1001)):
        with pytest.raises(MalformedForm):
            form_parameters(malformed)


@pytest.mark.parametrize(
    ("name", "form", "expected"), MESSAGE_SAMPLES, ids=[s[0] for s in MESSAGE_SAMPLES]
)
def test_each_message_sample_is_a_contact_or_ignored(name, form, expected):
    found = message_contact(InboundMessage.model_validate(form), as_form(form))
    if expected is None:
        assert isinstance(found, Ignored), found
        return
    platform, handle, text, attachments = expected
    assert isinstance(found, TwilioMessageContact), found
    assert (found.platform, found.handle, found.text) == (platform, handle, text)
    assert (found.visibility, found.kind) == ("private", "message")
    assert (found.item_id, found.conversation_id) == (form["MessageSid"], handle)
    assert [(a.filename, a.content_type) for a in found.attachments] == attachments
    assert len(found.media_urls) == len(attachments)
    assert found.identities() == (
        IdentityKey(IdentityKind.SOCIAL, f"{platform}:{handle}"),
        IdentityKey(IdentityKind.PHONE, handle),
    )
    assert found.provider_message_id == f"{platform}:{form['MessageSid']}"
    assert found.customer_name == form.get("ProfileName")


def test_a_texter_and_a_caller_of_one_number_share_the_phone_identity():
    texted = message_contact(InboundMessage.model_validate(SMS), as_form(SMS))
    called = call_contact(CallReport.model_validate(CALL_SAMPLES[1][1] | {"From": SMS["From"]}))
    assert isinstance(texted, TwilioMessageContact)
    assert isinstance(called, PhoneContact)
    assert set(texted.identities()) & set(called.identities())


def test_national_numbers_use_the_adapter_s_country_and_odd_senders_are_ignored():
    national = SMS | {"From": "20123456"}
    found = message_contact(
        InboundMessage.model_validate(national), as_form(national), default_country="DK"
    )
    assert isinstance(found, TwilioMessageContact)
    assert found.handle == "+4520123456"
    short_code = SMS | {"From": "72345"}  # no valid number: kept as the handle, no phone id
    kept = message_contact(InboundMessage.model_validate(short_code), as_form(short_code))
    assert isinstance(kept, TwilioMessageContact)
    assert (kept.handle, kept.phone, len(kept.identities())) == ("72345", None, 1)
    for sender in ("messenger:1234", "a b", "x@y"):
        odd = SMS | {"From": sender}
        assert isinstance(
            message_contact(InboundMessage.model_validate(odd), as_form(odd)), Ignored
        )


@pytest.mark.parametrize(
    ("name", "form", "expected"), CALL_SAMPLES, ids=[s[0] for s in CALL_SAMPLES]
)
def test_each_call_sample_is_a_missed_call_a_voicemail_or_ignored(name, form, expected):
    found = call_contact(CallReport.model_validate(form))
    if expected is None:
        assert isinstance(found, Ignored), found
        return
    event, caller, duration = expected
    assert isinstance(found, PhoneContact), found
    assert (found.event.value, found.caller_number, found.duration_seconds) == (
        event,
        caller,
        duration,
    )
    assert found.call_id == form["CallSid"]
    assert found.called_number == "+4589871234"
    assert found.provider_message_id == f"{form['CallSid']}:{event}"
    if event == "voicemail":
        assert isinstance(found, TwilioVoicemail)
        assert found.recording_url == form["RecordingUrl"]
        assert [a.content_type for a in found.attachments] == ["audio/x-wav"]


def test_status_callbacks_go_to_intake_s_public_url_unless_the_account_names_one():
    document = {"platform": "sms", "conversation_id": "+4520123456", "text": "Hej"}
    account = TwilioAccount(
        account_sid="AC" + "0" * 32, auth_token="1" * 32, from_number="+4589871234"
    )
    origin = SendOrigin("tw-dk", "https://support.acme.test/intake/")
    sent = parse_qs(send_body(document, account, origin))
    assert sent["StatusCallback"] == [
        "https://support.acme.test/intake/v1/providers/twilio/tw-dk/messages/status"
    ]
    named = account.model_copy(update={"status_callback": "https://hooks.acme.test/status"})
    assert parse_qs(send_body(document, named, origin))["StatusCallback"] == [
        "https://hooks.acme.test/status"
    ]
    assert "StatusCallback" not in parse_qs(send_body(document, account, SendOrigin("t", None)))


def test_the_create_message_request_is_twilio_s_form():
    document = {
        "platform": "whatsapp",
        "handle": "+4520123456",
        "conversation_id": "+4520123456",
        "text": "Hej Ann — din pakke er på vej & snart hos dig",
    }
    sent = parse_qs(
        create_message(
            document,
            from_number="+4589871234",
            messaging_service_sid=None,
            status_callback="https://intake.example/v1/providers/twilio/t/messages/status",
        ),
        strict_parsing=True,
    )
    assert sent == {
        "To": ["whatsapp:+4520123456"],
        "From": ["whatsapp:+4589871234"],
        "Body": [document["text"]],
        "StatusCallback": ["https://intake.example/v1/providers/twilio/t/messages/status"],
    }
    via_service = parse_qs(
        create_message(
            document | {"platform": "sms"},
            from_number="+4589871234",
            messaging_service_sid="MG790b6bd09f119b54ffb7f03b8841b1c9",
        )
    )
    assert via_service == {
        "To": ["+4520123456"],
        "MessagingServiceSid": ["MG790b6bd09f119b54ffb7f03b8841b1c9"],
        "Body": [document["text"]],
    }
    url = messages_url("https://api.twilio.com/", "AC1e55e7e7500d2431dc16b9ddd44965a7")
    assert url == (
        "https://api.twilio.com/2010-04-01/Accounts/AC1e55e7e7500d2431dc16b9ddd44965a7/Messages.json"
    )
    assert basic_auth("AC1", "tok") == "Basic QUMxOnRvaw=="


def test_twilio_s_answers_are_read_and_cut_short_ones_say_nothing():
    created = answer_of(json.dumps(CREATED).encode())
    assert (created.sid, created.status, created.reason) == (
        "SMb0cbc8c2f1c34b4ea6451cb33d21c125",
        "queued",
        None,
    )
    refused = answer_of(json.dumps(INVALID_TO).encode())
    assert refused.reason == (
        "The 'To' number +1555 is not a valid phone number. "
        "(error 21211, https://www.twilio.com/docs/errors/21211)"
    )
    assert not answer_of(b'{"sid": "SM').readable
    assert not answer_of(b"[1]").readable


def test_status_callbacks_map_to_the_reply_s_delivery():
    expected = {
        "queued": ReplyDelivery.ACCEPTED,
        "sent": ReplyDelivery.SENT,
        "delivered": ReplyDelivery.DELIVERED,
        "read": ReplyDelivery.READ,
        "undelivered": ReplyDelivery.FAILED,
        "failed": ReplyDelivery.FAILED,
        "received": None,
        "something-new": None,
    }
    assert {status: reported_delivery(status) for status in expected} == expected
    assert failure_reason("undelivered", "30003") == (
        "Twilio reports it undelivered (error 30003, https://www.twilio.com/docs/errors/30003)"
    )
    assert failure_reason("failed", None) == "Twilio reports it failed"


def test_the_voicemail_twiml_records_back_to_intake():
    twiml = voicemail_twiml("https://intake.example/v1/providers/twilio/t/voice/status?a=1&b=2")
    assert (
        '<Record action="https://intake.example/v1/providers/twilio/t/voice/status?a=1&amp;b=2"'
        in twiml
    )
    assert twiml.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Say>')
    assert twiml.endswith("<Hangup/></Response>")


def settled(status: DeliveryStatus, code: int | None, answer: bytes, attempts: int = 1) -> Settled:
    return Settled(
        delivery_id=1,
        stream="adapter-outbound",
        recipient="twilio-dk",
        message_id="r1",
        event_type=SEND_MESSAGE,
        status=status,
        attempts=attempts,
        error=None if code and 200 <= code < 300 else f"HTTP {code}",
        status_code=code,
        at=datetime(2026, 12, 7, tzinfo=UTC),
        answer=answer,
    )


def test_twilio_s_answers_settle_a_reply_through_the_registry():
    created = outcome_of(settled(DeliveryStatus.DELIVERED, 201, json.dumps(CREATED).encode()))
    assert (created.state, created.provider_message_id) == (ReplyDelivery.ACCEPTED, CREATED["sid"])
    cut = outcome_of(settled(DeliveryStatus.DELIVERED, 201, b'{"sid": "SMb0'))
    assert (cut.state, cut.provider_message_id) == (ReplyDelivery.ACCEPTED, None)
    refused = outcome_of(settled(DeliveryStatus.DEAD, 400, json.dumps(INVALID_TO).encode()))
    assert refused.state is ReplyDelivery.FAILED
    assert refused.reason is not None
    assert refused.reason.startswith("Twilio refused it: The 'To' number +1555")
    busy = b'{"code": 20429, "message": "Too Many Requests", "status": 429}'
    waiting = outcome_of(settled(DeliveryStatus.PENDING, 429, busy))
    assert (waiting.state, waiting.reason) == (None, "Twilio: Too Many Requests (error 20429)")
    down = outcome_of(settled(DeliveryStatus.DEAD, 503, b"<html>", attempts=8))
    assert down.state is ReplyDelivery.FAILED
    assert down.reason == "Twilio did not take it in 8 attempts: HTTP 503"
