"""The Graph API requests a reply becomes and what Graph's answers say: the documented
bodies of WhatsApp's and the Send API's ``/messages``, the message id made (``messages[0].id``
or ``message_id``), Graph's error objects, and which refusals are worth a later try."""

from __future__ import annotations

import json

import pytest

from switchboard.intake.domain.meta_graph import (
    THROTTLED_WAIT,
    answer_of,
    messenger_message,
    retry_after,
    send_path,
    whatsapp_message,
)

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
