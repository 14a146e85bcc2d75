"""Meta's webhooks as intake reads them, with published samples (meta_samples.py): each
WhatsApp, Messenger and Instagram message is a contact or ignored as documented, each
status a report; several entries and messages in one POST are each taken; the handshake
and the signature are checked as Meta documents them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from switchboard.intake.domain import messenger_webhooks, whatsapp_webhooks
from switchboard.intake.domain.meta_graph import challenge_answer, signature_matches, signed
from switchboard.intake.domain.meta_webhooks import (
    Ignored,
    MetaContact,
    StatusReport,
    WatermarkReport,
)

from .meta_samples import (
    DASHBOARD_TEST,
    IGID,
    IGSID,
    INSTAGRAM_EVENTS,
    MESSENGER_EVENTS,
    PAGE_ID,
    PHONE_NUMBER_ID,
    PSID,
    WHATSAPP_MESSAGES,
    WHATSAPP_STATUSES,
    messaging,
    wa,
)


def whatsapp_items(notification: dict, phone: str | None = PHONE_NUMBER_ID) -> list:
    parsed = whatsapp_webhooks.Notification.model_validate(notification)
    return list(whatsapp_webhooks.items_of(parsed, phone_number_id=phone))


@pytest.mark.parametrize(
    ("name", "message", "expected"), WHATSAPP_MESSAGES, ids=[s[0] for s in WHATSAPP_MESSAGES]
)
def test_each_published_whatsapp_message_is_a_contact_or_ignored(name, message, expected):
    [found] = whatsapp_items(wa(messages=[message]))
    if expected is None:
        assert isinstance(found, Ignored), found
        return
    text, attachments = expected
    assert isinstance(found, MetaContact), found
    assert (found.platform, found.handle, found.conversation_id) == (
        "whatsapp",
        "+972987654321",
        "972987654321",
    )
    assert (found.item_id, found.visibility, found.kind) == ("wamid.xyzxyz", "private", "message")
    assert found.text == text
    assert [(a.filename, a.content_type) for a in found.attachments] == attachments
    assert found.customer_name == "Test Name"
    assert found.sent_at == datetime.fromtimestamp(int(message["timestamp"]), UTC)
    assert found.provider_message_id == "whatsapp:wamid.xyzxyz"


def test_a_whatsapp_customer_s_valid_number_is_also_their_phone_identity():
    [contact] = whatsapp_items(DASHBOARD_TEST, phone=None)
    assert isinstance(contact, MetaContact)
    assert contact.customer_name == "test user name"
    assert [str(key) for key in contact.identities()] == [
        "social:whatsapp:+16315551181",
        "phone:+16315551181",
    ]
    [pywa] = whatsapp_items(wa(messages=[WHATSAPP_MESSAGES[0][1]]))
    assert [str(key) for key in pywa.identities()] == ["social:whatsapp:+972987654321"], (
        "972 98 765 4321 is no valid Israeli number: a handle, not a phone identity"
    )


def test_another_phone_number_s_changes_are_ignored():
    [ignored] = whatsapp_items(DASHBOARD_TEST)
    assert isinstance(ignored, Ignored)
    assert "another phone number" in ignored.reason


@pytest.mark.parametrize(
    ("name", "status", "state", "reason"), WHATSAPP_STATUSES, ids=[s[0] for s in WHATSAPP_STATUSES]
)
def test_each_published_whatsapp_status_is_a_report(name, status, state, reason):
    [report] = whatsapp_items(wa(statuses=[status]))
    assert isinstance(report, StatusReport)
    assert (report.provider_message_id, report.state.value, report.reason) == (
        "wamid.xyzxyz",
        state,
        reason,
    )
    assert report.at == datetime.fromtimestamp(int(status["timestamp"]), UTC)


def test_one_post_with_several_entries_messages_and_statuses_yields_each():
    first = wa(
        messages=[m for _, m, _ in WHATSAPP_MESSAGES[:3]], statuses=[WHATSAPP_STATUSES[1][1]]
    )
    second = wa(messages=[WHATSAPP_MESSAGES[6][1]])
    first["entry"] += second["entry"]
    first["entry"][0]["changes"].append({"field": "account_update", "value": {}})
    kinds = [type(item).__name__ for item in whatsapp_items(first)]
    assert kinds == ["MetaContact"] * 3 + ["StatusReport", "Ignored", "Ignored"]


def messenger_items(notification: dict, page: str | None) -> list:
    parsed = messenger_webhooks.Notification.model_validate(notification)
    return list(messenger_webhooks.items_of(parsed, page_id=page))


@pytest.mark.parametrize(
    ("platform", "account", "sender", "sample"),
    [("page", PAGE_ID, PSID, s) for s in MESSENGER_EVENTS]
    + [("instagram", IGID, IGSID, s) for s in INSTAGRAM_EVENTS],
    ids=[f"messenger {s[0]}" for s in MESSENGER_EVENTS]
    + [f"instagram {s[0]}" for s in INSTAGRAM_EVENTS],
)
def test_each_published_messenger_and_instagram_event(platform, account, sender, sample):
    _, event, expected = sample
    [found] = messenger_items(messaging(platform, account, [event]), page=account)
    if expected is None:
        assert isinstance(found, Ignored), found
        return
    kind, details = expected
    if kind == "watermark":
        assert isinstance(found, WatermarkReport)
        assert (found.state.value, found.thread_ref) == details
        assert found.up_to == datetime.fromtimestamp(event["read"]["watermark"] / 1000, UTC)
        return
    if kind == "status":
        state, mids = details
        assert isinstance(found, StatusReport)
        assert (found.state.value, [found.provider_message_id]) == (state, mids)
        return
    text, types = details
    assert isinstance(found, MetaContact), found
    name = "messenger" if platform == "page" else "instagram"
    assert (found.platform, found.handle, found.conversation_id) == (name, sender, sender)
    assert (found.item_id, found.text) == (event["message"]["mid"], text)
    assert [a.content_type for a in found.attachments] == types
    assert found.identities()[0].value == f"{name}:{sender}"
    assert found.sent_at == datetime.fromtimestamp(event["timestamp"] / 1000, UTC)


def test_a_postback_is_the_button_s_title_and_other_pages_are_ignored():
    postback = {
        "sender": {"id": PSID},
        "recipient": {"id": PAGE_ID},
        "timestamp": 1527459824000,
        "postback": {
            "mid": "m_AG5Hz2Uq7tuwNEhXfYYKj8",
            "title": "Talk to a person",
            "payload": "X",
        },
    }
    [contact] = messenger_items(messaging("page", PAGE_ID, [postback]), page=PAGE_ID)
    assert isinstance(contact, MetaContact)
    assert (contact.text, contact.item_id) == ("Talk to a person", "m_AG5Hz2Uq7tuwNEhXfYYKj8")
    [other] = messenger_items(messaging("page", "999", [postback]), page=PAGE_ID)
    assert isinstance(other, Ignored)


def test_the_handshake_echoes_the_challenge_only_for_a_verify_token_in_use():
    query = {"hub.mode": "subscribe", "hub.verify_token": "tok-1", "hub.challenge": "1158201444"}
    assert challenge_answer(query, ["tok-1"]) == "1158201444"
    assert challenge_answer(query, ["tok-0", "tok-1"]) == "1158201444"
    assert challenge_answer(query, ["tok-2"]) is None
    assert challenge_answer(query | {"hub.mode": "unsubscribe"}, ["tok-1"]) is None
    assert challenge_answer({"hub.mode": "subscribe", "hub.challenge": "1"}, ["tok-1"]) is None


def test_signature_vectors():
    # GitHub's documented X-Hub-Signature-256 vector (the same scheme: sha256= and the hex
    # HMAC-SHA256 of the raw body), docs.github.com, 'Validating webhook deliveries'.
    secret, body = "It's a Secret to Everybody", b"Hello, World!"
    header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert signed(secret, body) == header
    assert signature_matches(header, body, [secret])
    assert signature_matches(header.upper().replace("SHA256=", "sha256="), body, [secret])
    # RFC 4231, test case 2.
    rfc = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert signature_matches(rfc, b"what do ya want for nothing?", ["Jefe"])
    assert signature_matches(header, body, ["old", secret]), "either secret during a change"
    for wrong in (None, "", "sha256=", header[:-1] + "0", header.replace("sha256", "sha1")):
        assert not signature_matches(wrong, body, [secret]), wrong
    assert not signature_matches(header, body + b" ", [secret])
    assert not signature_matches(header, body, [""])


def test_a_whole_real_body_is_signed_as_sent():
    raw = json.dumps(DASHBOARD_TEST).encode()
    assert signature_matches(signed("app-secret", raw), raw, ["app-secret"])
    assert not signature_matches(signed("app-secret", raw), raw.replace(b" ", b""), ["app-secret"])


def test_a_message_intake_cannot_keep_is_ignored_and_the_others_taken():
    odd = {**INSTAGRAM_EVENTS[0][1], "sender": {"id": "not an id!"}}
    found = messenger_items(messaging("instagram", IGID, [odd, INSTAGRAM_EVENTS[0][1]]), page=IGID)
    assert isinstance(found[0], Ignored)
    assert "handle" in found[0].reason
    assert isinstance(found[1], MetaContact)
