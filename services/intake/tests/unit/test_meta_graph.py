"""The Graph API requests a reply becomes and what Graph's answers say: the documented
bodies of WhatsApp's and the Send API's ``/messages``, the message id made (``messages[0].id``
or ``message_id``), Graph's error objects, and which refusals are worth a later try."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from switchboard.intake.domain.meta_graph import (
    THROTTLED_WAIT,
    WHATSAPP_SEND,
    answer_of,
    messenger_message,
    retry_after,
    send_path,
    whatsapp_message,
)
from switchboard.intake.domain.meta_sends import MetaApp
from switchboard.intake.domain.replies import ReplyDelivery
from switchboard.intake.service_layer.meta_deliveries import endpoint as meta_endpoint
from switchboard.intake.service_layer.meta_deliveries import outcome_for
from switchboard.servicekit.deliveries import DeliveryStatus, Settled

DOCUMENT = {
    "kind": "reply",
    "text": "Hej Ann — din pakke er på vej.",
    "platform": "whatsapp",
    "handle": "+4520123456",
    "conversation_id": "4520123456",
    "in_reply_to_item_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=",
}
# https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages (answer)
WHATSAPP_SENT = {
    "messaging_product": "whatsapp",
    "contacts": [{"input": "4520123456", "wa_id": "4520123456"}],
    "messages": [{"id": "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"}],
}
# https://developers.facebook.com/docs/messenger-platform/reference/send-api (answer)
MESSENGER_SENT = {
    "recipient_id": "1254477777772919",
    "message_id": "AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5c"
    "gXIbu7I3rBN0P",
}
# https://developers.facebook.com/docs/graph-api/guides/error-handling (error object)
EXPIRED = {
    "error": {
        "message": "Error validating access token: Session has expired on Wednesday, 14-Feb-18 "
        "18:00:00 PST.",
        "type": "OAuthException",
        "code": 190,
        "error_subcode": 463,
        "fbtrace_id": "H2il2t5bn4e",
    }
}
THROTTLED = {
    "error": {
        "message": "(#130429) Rate limit hit",
        "type": "OAuthException",
        "code": 130429,
        "error_data": {
            "messaging_product": "whatsapp",
            "details": "Cloud API message throughput has been reached.",
        },
        "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam",
    }
}


def test_a_whatsapp_reply_answers_the_customer_s_latest_message():
    assert json.loads(whatsapp_message(DOCUMENT)) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "4520123456",
        "type": "text",
        "text": {"preview_url": False, "body": "Hej Ann — din pakke er på vej."},
        "context": {"message_id": DOCUMENT["in_reply_to_item_id"]},
    }
    assert "din pakke er på vej" in whatsapp_message(DOCUMENT), "UTF-8 as it is, not escaped"
    without = whatsapp_message({**DOCUMENT, "in_reply_to_item_id": None})
    assert "context" not in json.loads(without)


def test_a_messenger_or_instagram_reply_is_a_response_to_the_scoped_id():
    document = {**DOCUMENT, "platform": "messenger", "conversation_id": "1254459154682919"}
    assert json.loads(messenger_message(document)) == {
        "recipient": {"id": "1254459154682919"},
        "messaging_type": "RESPONSE",
        "message": {"text": "Hej Ann — din pakke er på vej."},
    }


def test_the_send_path_is_the_sender_s_messages_edge():
    base = "https://graph.facebook.com/v21.0/"
    assert send_path(base, "106540352242922") == f"{base}106540352242922/messages"


def test_graph_s_answers():
    assert (
        answer_of(json.dumps(WHATSAPP_SENT).encode()).message_id
        == WHATSAPP_SENT["messages"][0]["id"]
    )
    assert answer_of(json.dumps(MESSENGER_SENT).encode()).message_id == MESSENGER_SENT["message_id"]
    refused = answer_of(json.dumps(EXPIRED).encode())
    assert (refused.message_id, refused.code) == (None, 190)
    assert refused.error == (
        "Error validating access token: Session has expired on Wednesday, 14-Feb-18 18:00:00 PST."
        " (code 190, subcode 463)"
    )
    assert answer_of(json.dumps(THROTTLED).encode()).error == (
        "(#130429) Rate limit hit: Cloud API message throughput has been reached. (code 130429)"
    )
    cut = answer_of(b'{"messaging_product":"whatsapp","messages":[{"id":"wam')
    assert (cut.readable, cut.message_id) == (False, None)


@pytest.mark.parametrize(
    ("status", "answer", "wait"),
    [
        (400, THROTTLED, THROTTLED_WAIT),
        (
            400,
            {
                "error": {
                    "message": "(#613) Calls to this api have exceeded the rate limit.",
                    "code": 613,
                }
            },
            THROTTLED_WAIT,
        ),
        (429, {"error": {"message": "Too many", "code": 80007}}, THROTTLED_WAIT),
        (503, {"error": {"message": "Service temporarily unavailable", "code": 2}}, 10.0),
        (400, EXPIRED, None),
        (400, {"error": {"message": "(#100) Invalid parameter", "code": 100}}, None),
        (500, "<html>", None),
        (200, WHATSAPP_SENT, None),
    ],
)
def test_throttling_and_passing_errors_ask_for_a_wait(status, answer, wait):
    body = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
    assert retry_after(status, body) == wait


def settled(status: DeliveryStatus, code: int | None, answer: bytes, attempts: int = 1) -> Settled:
    return Settled(
        delivery_id=1,
        stream="adapter-outbound",
        recipient="whatsapp-nordics",
        message_id="r1",
        event_type=WHATSAPP_SEND,
        status=status,
        attempts=attempts,
        error=None if code and 200 <= code < 300 else f"HTTP {code}" if code else "ClientError",
        status_code=code,
        at=datetime(2026, 12, 7, tzinfo=UTC),
        answer=answer,
    )


def test_graph_s_answer_settles_a_reply():
    outcome = outcome_for("WhatsApp")
    sent = outcome(settled(DeliveryStatus.DELIVERED, 200, json.dumps(WHATSAPP_SENT).encode()))
    assert (sent.state, sent.provider_message_id) == (
        ReplyDelivery.SENT,
        WHATSAPP_SENT["messages"][0]["id"],
    )
    cut = outcome(settled(DeliveryStatus.DELIVERED, 200, b'{"messages":[{"id":"wam'))
    assert (cut.state, cut.provider_message_id) == (ReplyDelivery.SENT, None)
    refused = outcome(settled(DeliveryStatus.DEAD, 400, json.dumps(EXPIRED).encode()))
    assert refused.state is ReplyDelivery.FAILED
    assert refused.reason.startswith("WhatsApp refused it: Error validating access token")
    assert refused.reason.endswith("(code 190, subcode 463) (HTTP 400)")
    down = outcome(settled(DeliveryStatus.DEAD, 503, b"<html>", attempts=8))
    assert (down.state, down.reason) == (
        ReplyDelivery.FAILED,
        "WhatsApp did not take it in 8 attempts: HTTP 503",
    )
    waiting = outcome(settled(DeliveryStatus.PENDING, 400, json.dumps(THROTTLED).encode()))
    assert waiting.state is None
    assert waiting.reason.startswith("WhatsApp: (#130429) Rate limit hit")


def test_the_endpoint_carries_the_token_as_a_bearer_and_never_in_the_url():
    app = MetaApp(
        app_secret=SecretStr("0123456789abcdef"),
        access_token=SecretStr("EAAG-secret-token"),
        sender_id="106540352242922",
    )
    endpoint = meta_endpoint(app, "https://graph.facebook.com/v23.0")
    assert endpoint.url == "https://graph.facebook.com/v23.0/106540352242922/messages"
    assert endpoint.request_headers() == {
        "content-type": "application/json",
        "Authorization": "Bearer EAAG-secret-token",
    }
    assert "EAAG" not in repr(endpoint)
    assert "EAAG" not in repr(app)
    assert MetaApp.from_stored(app.stored()) == app
    assert endpoint.wait_asked(400, json.dumps(THROTTLED).encode(), None) is not None
