"""Telegram Bot API ``Update`` samples, each as its source published it (a message wrapped
in an update with an ``update_id`` where the source gives the message alone), with what
intake makes of it. Sources:

- AIOGRAM: aiogram/aiogram, tests/types/dataset.py (commit 0c3ce1cf00033706a355720608ea66e4
  5188a0ad) — its USER, CHAT, PHOTO, DOCUMENT, AUDIO, VOICE, STICKER and message samples.
- FILETRECK: IAmIrina/filetreck_bot, tests/data/messages.py — a real update with a video.
- BOT_API: the objects as https://core.telegram.org/bots/api documents them (Update,
  CallbackQuery, ChatMemberUpdated); these two have no published sample we found.
"""

from __future__ import annotations

from typing import Any

# aiogram/aiogram tests/types/dataset.py: USER
USER = {
    "id": 12345678,
    "is_bot": False,
    "first_name": "FirstName",
    "last_name": "LastName",
    "username": "username",
    "language_code": "ru",
}
# aiogram/aiogram tests/types/dataset.py: CHAT
CHAT = {
    "id": 12345678,
    "first_name": "FirstName",
    "last_name": "LastName",
    "username": "username",
    "type": "private",
}
# aiogram/aiogram tests/types/dataset.py: PHOTO
PHOTO = {
    "file_id": "AgADBAADFak0G88YZAf8OAug7bHyS9x2ZxkABHVfpJywcloRAAGAAQABAg",
    "file_size": 1101,
    "width": 90,
    "height": 51,
}
# aiogram/aiogram tests/types/dataset.py: DOCUMENT
DOCUMENT = {
    "file_name": "test.docx",
    "mime_type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "file_id": "BQADAgADpgADy_JxS66XQTBRHFleAg",
    "file_size": 21331,
}
# aiogram/aiogram tests/types/dataset.py: VOICE
VOICE = {
    "duration": 1,
    "mime_type": "audio/ogg",
    "file_id": "AwADawAgADADy_JxS2gopIVIIxlhAg",
    "file_size": 4321,
}
# aiogram/aiogram tests/types/dataset.py: STICKER
STICKER = {
    "width": 512,
    "height": 512,
    "emoji": "🛠",
    "set_name": "StickerSet",
    "thumb": {
        "file_id": "AAbbCCddEEffGGhh1234567890",
        "file_size": 1234,
        "width": 128,
        "height": 128,
    },
    "file_id": "AAbbCCddEEffGGhh1234567890",
    "file_size": 12345,
}

# Each: (name, update, expected) — expected is None for an ignored update, else
# (text, [(filename, content_type, size_bytes)], item_id).
SAMPLES: list[tuple[str, dict[str, Any], Any]] = [
    (
        "text message",  # aiogram dataset.py UPDATE (MESSAGE inside)
        {
            "update_id": 123456789,
            "message": {
                "message_id": 11223,
                "from": USER,
                "chat": CHAT,
                "date": 1508709711,
                "text": "Hi, world!",
            },
        },
        ("Hi, world!", [], "12345678:11223"),
    ),
    (
        "edited message",  # aiogram dataset.py EDITED_MESSAGE
        {
            "update_id": 123456790,
            "edited_message": {
                "message_id": 12345,
                "from": USER,
                "chat": CHAT,
                "date": 1508825372,
                "edit_date": 1508825379,
                "text": "hi there (edited)",
            },
        },
        ("hi there (edited)", [], "12345678:12345:edited:1508825379"),
    ),
    (
        "photo with caption",  # aiogram dataset.py MESSAGE_WITH_PHOTO
        {
            "update_id": 123456791,
            "message": {
                "message_id": 12346,
                "from": USER,
                "chat": CHAT,
                "date": 1508825154,
                "photo": [PHOTO, PHOTO, PHOTO, PHOTO],
                "caption": "photo description",
            },
        },
        ("photo description", [(None, "image/jpeg", 1101)], "12345678:12346"),
    ),
    (
        "document with caption",  # aiogram dataset.py MESSAGE_WITH_DOCUMENT
        {
            "update_id": 123456792,
            "message": {
                "message_id": 12347,
                "from": USER,
                "chat": CHAT,
                "date": 1508768012,
                "document": DOCUMENT,
                "caption": "Read my document",
            },
        },
        ("Read my document", [("test.docx", DOCUMENT["mime_type"], 21331)], "12345678:12347"),
    ),
    (
        "voice without caption",  # aiogram dataset.py MESSAGE_WITH_VOICE
        {
            "update_id": 123456793,
            "message": {
                "message_id": 12348,
                "from": USER,
                "chat": CHAT,
                "date": 1508768403,
                "voice": VOICE,
            },
        },
        ("[audio/ogg]", [(None, "audio/ogg", 4321)], "12345678:12348"),
    ),
    (
        "real video update",  # IAmIrina/filetreck_bot tests/data/messages.py: video
        {
            "update_id": 494890297,
            "message": {
                "message_id": 2,
                "from": {
                    "id": 86815320,
                    "is_bot": False,
                    "first_name": "Ирина",
                    "last_name": "Киселёва",
                    "username": "Irina_V_Kiseleva",
                    "language_code": "en",
                },
                "chat": {
                    "id": 86815320,
                    "first_name": "Ирина",
                    "last_name": "Киселёва",
                    "username": "Irina_V_Kiseleva",
                    "type": "private",
                },
                "date": 1680375312,
                "forward_from": {
                    "id": 86815320,
                    "is_bot": False,
                    "first_name": "Ирина",
                    "last_name": "Киселёва",
                    "username": "Irina_V_Kiseleva",
                    "language_code": "en",
                },
                "forward_date": 1680350098,
                "video": {
                    "duration": 29,
                    "width": 720,
                    "height": 1280,
                    "mime_type": "video/mp4",
                    "thumbnail": {
                        "file_id": (
                            "AAMCAgADGQEAAwJkKH4PxBVEHt87CMCPOZvSZKQsiQACeikAAiBAQEnwcXzpsPALLwEAB20AAy8E"
                        ),
                        "file_unique_id": "AQADeikAAiBAQEly",
                        "file_size": 20477,
                        "width": 180,
                        "height": 320,
                    },
                    "file_id": (
                        "BAACAgIAAxkBAAMCZCh-D8QVRB7fOwjAjzmb0mSkLIkAAnopAAIgQEBJ8HF86bDwCy8vBA"
                    ),
                    "file_unique_id": "AgADeikAAiBAQEk",
                    "file_size": 18081996,
                },
            },
        },
        ("[video/mp4]", [(None, "video/mp4", 18081996)], "86815320:2"),
    ),
    (
        "sticker",  # aiogram dataset.py MESSAGE_WITH_STICKER: nothing intake keeps
        {
            "update_id": 123456794,
            "message": {
                "message_id": 12349,
                "from": USER,
                "chat": CHAT,
                "date": 1508771450,
                "sticker": STICKER,
            },
        },
        None,
    ),
    (
        "callback query",  # Bot API: Update.callback_query, CallbackQuery's required fields
        {
            "update_id": 123456795,
            "callback_query": {
                "id": "4382bfdwdsb323b2d9",
                "from": USER,
                "chat_instance": "-8391263648725",
                "data": "rate:5",
            },
        },
        None,
    ),
    (
        "my chat member",  # Bot API: Update.my_chat_member, ChatMemberUpdated
        {
            "update_id": 123456796,
            "my_chat_member": {
                "chat": CHAT,
                "from": USER,
                "date": 1508771500,
                "old_chat_member": {
                    "status": "member",
                    "user": {"id": 99, "is_bot": True, "first_name": "Bot"},
                },
                "new_chat_member": {
                    "status": "kicked",
                    "user": {"id": 99, "is_bot": True, "first_name": "Bot"},
                    "until_date": 0,
                },
            },
        },
        None,
    ),
]
