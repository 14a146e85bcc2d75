"""The adapter client on its own: signatures as Standard Webhooks makes them (the current
and the previous secret during a rotation verify; a changed body, another secret or a stale
timestamp do not); an outbound message is read only once verified; intake's refusals come
back as problems with the wait it asked for (from a stand-in answering as intake does)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from switchboard.adapter_client import (
    AdapterClient,
    EmailContact,
    IntakeRefused,
    InvalidSignature,
    read_outbound,
    signed_headers,
    verify,
)

OLD = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NEW = "whsec_" + "bm90LXRoZS1vbGQtc2VjcmV0LWF0LWFsbC0x"


def test_signatures_verify_with_a_secret_in_use_only():
    body = b'{"session_id":"s1"}'
    headers = signed_headers(OLD, body, webhook_id="msg_1")
    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-signature"].startswith("v1,")
    verify([NEW, OLD], headers, body)  # during a rotation both are in use
    with pytest.raises(InvalidSignature):
        verify([NEW], headers, body)
    with pytest.raises(InvalidSignature):
        verify([OLD], headers, body + b" ")
    stale = signed_headers(OLD, body, at=datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(InvalidSignature):
        verify([OLD], stale, body)


def test_an_outbound_message_is_read_once_verified():
    body = json.dumps(
        {
            "type": "switchboard.reply.outbound",
            "timestamp": "2026-12-07T10:00:00+00:00",
            "data": {
                "kind": "reply",
                "reply_id": "r-1",
                "case_id": "c-1",
                "channel": "email",
                "posted_at": "2026-12-07T10:00:00+00:00",
                "text": "Hej Ann",
                "to": ["ann@example.dk"],
                "subject": "Re: Faktura",
                "message_id": "<r-1@mail.acme.test>",
                "in_reply_to": "<m1@example.dk>",
                "references": ["<m1@example.dk>"],
                "attachments": [],
                "a_field_added_later": True,
            },
        }
    ).encode()
    message = read_outbound(body, signed_headers(NEW, body), [NEW])
    assert (message.data.delivery_id, message.data.to) == ("r-1", ["ann@example.dk"])
    with pytest.raises(InvalidSignature):
        read_outbound(body, signed_headers(OLD, body), [NEW])


def intake_stand_in() -> FastAPI:
    """Answers as intake does when it refuses: problem+json, Retry-After on 503/429."""
    app = FastAPI()
    answers = {
        "busy": (503, {"title": "Database unavailable"}, {"Retry-After": "7"}),
        "limited": (429, {"title": "Too many requests"}, {}),
        "wrong": (
            422,
            {"title": "Invalid request", "errors": [{"field": "sender", "message": "bad"}]},
            {},
        ),
    }

    @app.post("/v1/adapters/{adapter_id}/contacts/email")
    async def email(adapter_id: str) -> JSONResponse:
        status, problem, headers = answers[adapter_id]
        return JSONResponse(
            problem, status_code=status, headers=headers, media_type="application/problem+json"
        )

    return app


@pytest.mark.parametrize(
    ("adapter", "status", "retry_after", "fields"),
    [("busy", 503, 7.0, []), ("limited", 429, 1.0, []), ("wrong", 422, None, ["sender"])],
)
async def test_intake_s_refusals_are_problems_with_their_wait(adapter, status, retry_after, fields):
    transport = httpx.ASGITransport(app=intake_stand_in())
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://intake.test") as http,
        AdapterClient("http://intake.test", adapter, NEW, http=http) as client,
    ):
        with pytest.raises(IntakeRefused) as refused:
            await client.post_contact(EmailContact(sender="ann@example.dk"))
    assert (refused.value.status, refused.value.retry_after) == (status, retry_after)
    assert [error["field"] for error in refused.value.errors] == fields
