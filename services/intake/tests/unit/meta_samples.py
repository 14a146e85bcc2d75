"""Meta webhook samples — WhatsApp Cloud API, Messenger, Instagram messaging — each as its
source published it, with what intake makes of it. Sources:

- PYWA: david-lev/pywa, tests/data/updates/message.json (commit 1af30edd9562eb2335572619c3
  22b4f525658e01), message_status.json (0555c1fbe773d39159d50fb22839f254df885dd7),
  callback_button.json and callback_selection.json (ec7c739bde17f88a6d1647a330d12098a0a8f003):
  the messages and statuses below, each in the envelope those files wrap it in (``wa()``).
- DASHBOARD: the sample Meta's App Dashboard posts with 'Test' for the ``messages`` field of
  WhatsApp (as captured at https://cronwalletlote.ibsystemclinicas.com.br/whatsAppApi.txt
  and http://playnow.my/WAWeb/data.txt), and a real delivery captured there.
- MESSENGER_DOCS: https://developers.facebook.com/docs/messenger-platform/reference/webhook-
  events (messages, message_echoes, message_deliveries, message_reads), its ``<PSID>`` and
  ``<PAGE_ID>`` placeholders filled with ids of that form.
- INSTAGRAM_DOCS: https://developers.facebook.com/docs/messenger-platform/instagram/features/
  webhook (``IGSID``/``IGID`` filled likewise).
- CHATWOOT: chatwoot/chatwoot, spec/factories/instagram/instagram_message_create_event.rb
  (commit 0ccb9a9aa20f6a40844814214b61b97d2ade6a10): unsend, story mention, echo and
  messaging_seen events, with Meta's integer times where the factory has ISO strings.
"""

from __future__ import annotations

from typing import Any

PHONE_NUMBER_ID = "1122334455667"  # PYWA's metadata.phone_number_id
PYWA_PROFILE = {"profile": {"name": "Test Name"}, "wa_id": "972987654321"}


def wa(*, messages=(), statuses=(), contacts=(PYWA_PROFILE,), phone=PHONE_NUMBER_ID) -> dict:
    """A WhatsApp notification as PYWA's files wrap one message or status."""
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "972123456789", "phone_number_id": phone},
    }
    if messages:
        value |= {"contacts": list(contacts), "messages": list(messages)}
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {"id": "1234567890987654321", "changes": [{"value": value, "field": "messages"}]}
        ],
    }


def _message(kind: str, stamp: str, **fields: Any) -> dict:
    return {"from": "972987654321", "id": "wamid.xyzxyz", "timestamp": stamp, "type": kind} | fields


# Each: (name, message, expected) — expected None for an ignored message, else
# (text, [(filename, content_type)]).
WHATSAPP_MESSAGES: list[tuple[str, dict, Any]] = [
    ("text", _message("text", "1697043223", text={"body": "Body Text"}), ("Body Text", [])),
    (
        "image",
        _message(
            "image",
            "1697043379",
            image={"mime_type": "image/jpeg", "sha256": "4654+8g=", "id": "65463453"},
        ),
        ("[image/jpeg]", [(None, "image/jpeg")]),
    ),
    (
        "video",
        _message(
            "video",
            "1697044362",
            context={"forwarded": True},
            video={
                "caption": "caption",
                "mime_type": "video/mp4",
                "sha256": "Jh+2ij6PzUv/J2y+grrtegr/ZMzRxkEPwc24Oyib4s03w9Jc=",
                "id": "765756756",
            },
        ),
        ("caption", [(None, "video/mp4")]),
    ),
    (
        "document",
        _message(
            "document",
            "1697043666",
            context={"forwarded": True},
            document={
                "caption": "caption",
                "filename": "filename.pdf",
                "mime_type": "application/pdf",
                "sha256": "grwfwe/ZPx0wAbdfbdeFUNItPZ0RylL8gGUvdt3YFqc18SY=",
                "id": "1234567890987654321",
            },
        ),
        ("caption", [("filename.pdf", "application/pdf")]),
    ),
    (
        "voice",
        _message(
            "audio",
            "1697043473",
            audio={
                "mime_type": "audio/ogg; codecs=opus",
                "sha256": "m04pFf2ERdaopTyFkGPA0+bX3i+YY2dYgVFwOgDLSDI=",
                "id": "1234567890987654321",
                "voice": True,
            },
        ),
        ("[audio/ogg]", [(None, "audio/ogg")]),
    ),
    (
        "static sticker",
        _message(
            "sticker",
            "1697043760",
            sticker={
                "mime_type": "image/webp",
                "sha256": "OmT4nhjUhCMIPNmj7eeOZeCYjTXkLxoOv85OMCFwSuc=",
                "id": "1234567890987654321",
                "animated": False,
            },
        ),
        ("[image/webp]", [(None, "image/webp")]),
    ),
    (
        "reaction",
        _message(
            "reaction",
            "1697044456",
            reaction={"message_id": "wamid.yzxyzx=", "emoji": "\U0001f62e"},
        ),
        None,
    ),
    (
        "chosen location",
        _message(
            "location",
            "1697044557",
            context={"forwarded": True},
            location={
                "latitude": 37.4611978,
                "longitude": -122.2164385,
                "name": "Facebook HQ",
                "address": "1 Hacker Way, Menlo Park, CA 94025",
                "url": "https://maps.google.com/?cid=2000000000000000000",
            },
        ),
        (
            "[location] Facebook HQ, 1 Hacker Way, Menlo Park, CA 94025 (37.4611978, -122.2164385)",
            [],
        ),
    ),
    (
        "current location",
        _message(
            "location",
            "1697044557",
            context={"forwarded": True},
            location={"latitude": 12.25089, "longitude": 43.90539},
        ),
        ("[location] (12.25089, 43.90539)", []),
    ),
    (
        "contacts",
        _message(
            "contacts",
            "1697044621",
            contacts=[
                {
                    "name": {
                        "first_name": "Chandler",
                        "last_name": "Bing",
                        "formatted_name": "Chandler Bing",
                    },
                    "phones": [
                        {"phone": "+1 555-555-5555", "wa_id": "972987654321", "type": "CELL"}
                    ],
                },
                {
                    "name": {"first_name": "Monica", "formatted_name": "Monica"},
                    "phones": [
                        {"phone": "+1 666-666-6666", "wa_id": "972987654321", "type": "HOME"}
                    ],
                },
            ],
        ),
        ("[contact] Chandler Bing +1 555-555-5555\n[contact] Monica +1 666-666-6666", []),
    ),
    (
        "order",
        _message(
            "order",
            "1697044668",
            order={
                "catalog_id": "354160437058781",
                "text": "",
                "product_items": [
                    {
                        "product_retailer_id": "HAMBURGER",
                        "quantity": 3,
                        "item_price": 30,
                        "currency": "ILS",
                    }
                ],
            },
        ),
        None,
    ),
    (
        "unsupported",
        _message(
            "unsupported",
            "1697044706",
            errors=[
                {
                    "code": 131051,
                    "title": "Message type unknown",
                    "message": "Message type unknown",
                    "error_data": {"details": "Message type is currently not supported."},
                }
            ],
        ),
        None,
    ),
    (
        "interactive message with error",  # its value also holds errors (code 131000)
        _message(
            "interactive",
            "1700505494",
            context={"from": "972123456789", "id": "wamid.gvwegfretge=="},
        ),
        None,
    ),
    (
        "reply",
        _message(
            "text",
            "1697044746",
            context={"from": "972123456789", "id": "wamid.xyzxyz=="},
            text={"body": "replied text"},
        ),
        ("replied text", []),
    ),
    (
        "button reply",  # PYWA callback_button.json "button"
        _message(
            "interactive",
            "1698266730",
            context={"from": "1122334455667", "id": "wamid.xyzxyz"},
            interactive={
                "type": "button_reply",
                "button_reply": {"id": "callback_data", "title": "title"},
            },
        ),
        ("title", []),
    ),
    (
        "quick reply button",  # PYWA callback_button.json "quick_reply"
        _message(
            "button",
            "1698269027",
            context={"from": "972123456789", "id": "wamid.xyzxyz=="},
            button={"payload": "callback_data", "text": "title"},
        ),
        ("title", []),
    ),
    (
        "list reply",  # PYWA callback_selection.json "description"
        _message(
            "interactive",
            "1698266905",
            context={"from": "1122334455667", "id": "wamid.xyzxyz"},
            interactive={
                "type": "list_reply",
                "list_reply": {
                    "id": "callback_data",
                    "title": "title",
                    "description": "description",
                },
            },
        ),
        ("title", []),
    ),
]

# PYWA message_status.json: (name, status, expected state, expected reason)
WHATSAPP_STATUSES: list[tuple[str, dict, str, str | None]] = [
    (
        "sent",
        {
            "id": "wamid.xyzxyz",
            "status": "sent",
            "timestamp": "1698266945",
            "recipient_id": "972987654321",
            "conversation": {
                "id": "7270432eae37498234f4444b35ffc5",
                "expiration_timestamp": "1698339900",
                "origin": {"type": "service"},
            },
            "pricing": {"billable": True, "pricing_model": "CBP", "category": "service"},
        },
        "sent",
        None,
    ),
    (
        "delivered",
        {
            "id": "wamid.xyzxyz",
            "status": "delivered",
            "timestamp": "1698266945",
            "recipient_id": "972987654321",
            "conversation": {"id": "7270432eae37498234f4444b35ffc5", "origin": {"type": "service"}},
            "pricing": {"billable": True, "pricing_model": "CBP", "category": "service"},
        },
        "delivered",
        None,
    ),
    (
        "read",
        {
            "id": "wamid.xyzxyz",
            "status": "read",
            "timestamp": "1689380458",
            "recipient_id": "972987654321",
            "conversation": {"id": "7270432eae37498234f4444b35ffc5", "origin": {"type": "service"}},
            "pricing": {"billable": True, "pricing_model": "CBP", "category": "service"},
        },
        "read",
        None,
    ),
    (
        "failed",
        {
            "id": "wamid.xyzxyz",
            "status": "failed",
            "timestamp": "1689380458",
            "recipient_id": "972987654321",
            "errors": [
                {
                    "code": 130472,
                    "title": "User's number is part of an experiment",
                    "message": "User's number is part of an experiment",
                    "error_data": {
                        "details": "Failed to send message because this user's phone number is "
                        "part of an experiment"
                    },
                    "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
                }
            ],
        },
        "failed",
        "WhatsApp: User's number is part of an experiment: Failed to send message because this "
        "user's phone number is part of an experiment (code 130472)",
    ),
]

# DASHBOARD: the App Dashboard's 'Test' sample of the messages field (for phone_number_id
# 123456123, which no real number has).
DASHBOARD_TEST = {
    "object": "whatsapp_business_account",
    "entry": [
        {
            "id": "0",
            "changes": [
                {
                    "field": "messages",
                    "value": {
                        "messaging_product": "whatsapp",
                        "metadata": {
                            "display_phone_number": "16505551111",
                            "phone_number_id": "123456123",
                        },
                        "contacts": [
                            {"profile": {"name": "test user name"}, "wa_id": "16315551181"}
                        ],
                        "messages": [
                            {
                                "from": "16315551181",
                                "id": "ABGGFlA5Fpa",
                                "timestamp": "1504902988",
                                "type": "text",
                                "text": {"body": "this is a text message"},
                            }
                        ],
                    },
                }
            ],
        }
    ],
}

PSID, PAGE_ID = "1254459154682919", "107090981234567"

# MESSENGER_DOCS: (name, messaging event, expected) — expected None for ignored, "contact"
# with (text, [content types]), "status" with (state, [mids]), or "watermark" with (state,
# the conversation's thread).
MESSENGER_EVENTS: list[tuple[str, dict, Any]] = [
    (
        "text message",
        {
            "sender": {"id": PSID},
            "recipient": {"id": PAGE_ID},
            "timestamp": 1458692752478,
            "message": {
                "mid": "mid.1457764197618:41d102a3e1ae206a38",
                "text": "hello, world!",
                "quick_reply": {"payload": "<DEVELOPER_DEFINED_PAYLOAD>"},
            },
        },
        ("contact", ("hello, world!", [])),
    ),
    (
        "message with attachment",
        {
            "sender": {"id": PSID},
            "recipient": {"id": PAGE_ID},
            "timestamp": 1518479195308,
            "message": {
                "mid": "mid.$cAAJdkrCd2ORnva8ErFhjGm0X_Q_c",
                "attachments": [{"type": "image", "payload": {"url": "<ATTACHMENT_URL>"}}],
            },
        },
        ("contact", ("[image/jpeg]", ["image/jpeg"])),
    ),
    (
        "echo",
        {
            "sender": {"id": PAGE_ID},
            "recipient": {"id": PSID},
            "timestamp": 1457764197627,
            "message": {
                "is_echo": True,
                "app_id": 1517776481860111,
                "metadata": "<DEVELOPER_DEFINED_METADATA_STRING>",
                "mid": "mid.1457764197618:41d102a3e1ae206a38",
                "text": "hello, world!",
            },
        },
        None,
    ),
    (
        "delivery",
        {
            "sender": {"id": PSID},
            "recipient": {"id": PAGE_ID},
            "delivery": {
                "mids": ["mid.1458668856218:ed81099e15d3f4f233"],
                "watermark": 1458668856253,
            },
        },
        ("status", ("delivered", ["mid.1458668856218:ed81099e15d3f4f233"])),
    ),
    (
        "read by watermark",
        {
            "sender": {"id": PSID},
            "recipient": {"id": PAGE_ID},
            "timestamp": 1458668856463,
            "read": {"watermark": 1458668856253},
        },
        ("watermark", ("read", f"social:messenger:{PSID}")),
    ),
]

IGSID, IGID = "5843204629073210", "17841405793187218"

# INSTAGRAM_DOCS and CHATWOOT, as MESSENGER_EVENTS.
INSTAGRAM_EVENTS: list[tuple[str, dict, Any]] = [
    (
        "text message",  # INSTAGRAM_DOCS
        {
            "sender": {"id": IGSID},
            "recipient": {"id": IGID},
            "timestamp": 1569262485349,
            "message": {"mid": "MESSAGE-ID", "text": "MESSAGE-TEXT"},
        },
        ("contact", ("MESSAGE-TEXT", [])),
    ),
    (
        "story mention",  # CHATWOOT instagram_story_mention_event
        {
            "sender": {"id": IGSID},
            "recipient": {"id": IGID},
            "timestamp": 1631082844000,
            "message": {
                "mid": "message-id-1",
                "attachments": [
                    {
                        "type": "story_mention",
                        "payload": {"url": "https://www.example.com/test.jpeg"},
                    }
                ],
            },
        },
        ("contact", ("[story_mention]", ["application/octet-stream"])),
    ),
    (
        "unsend",  # CHATWOOT instagram_message_unsend_event
        {
            "sender": {"id": IGSID},
            "recipient": {"id": IGID},
            "timestamp": 1631082844000,
            "message": {"mid": "message-id-to-delete", "is_deleted": True},
        },
        None,
    ),
    (
        "echo",  # CHATWOOT instagram_story_mention_event_with_echo
        {
            "sender": {"id": IGID},
            "recipient": {"id": IGSID},
            "timestamp": 1631082844000,
            "message": {
                "mid": "message-id-1",
                "attachments": [
                    {
                        "type": "story_mention",
                        "payload": {"url": "https://www.example.com/test.jpeg"},
                    }
                ],
                "is_echo": True,
            },
        },
        None,
    ),
    (
        "seen",  # CHATWOOT messaging_seen_event
        {
            "sender": {"id": IGSID},
            "recipient": {"id": IGID},
            "timestamp": 1631082844000,
            "read": {"mid": "message-id-1"},
        },
        ("status", ("read", ["message-id-1"])),
    ),
]


def messaging(kind: str, account: str, events: list[dict]) -> dict:
    """A Messenger (``page``) or Instagram notification: one entry of these events."""
    return {"object": kind, "entry": [{"id": account, "time": 1569262486134, "messaging": events}]}
