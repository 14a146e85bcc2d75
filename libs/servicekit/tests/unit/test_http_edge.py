"""The shared HTTP edge: problem+json for every error, body limit, health and metrics."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from switchboard.servicekit.http import Problem, create_app


class Contact(BaseModel):
    email: str = Field(min_length=3)
    priority: int = Field(ge=1, le=4)


router = APIRouter()


@router.post("/contacts", status_code=202)
async def post_contact(contact: Contact) -> dict[str, str]:
    if contact.email == "blocked@example.org":
        raise Problem(403, "this sender is blocked", title="Blocked sender")
    return {"status": "accepted"}


@router.post("/mail/{name}", status_code=202)
async def post_mail(name: str, request: Request) -> dict[str, int]:
    return {"bytes": len(await request.body())}


def _client() -> httpx.AsyncClient:
    app = create_app(
        title="t",
        version="1",
        runtime=None,
        routers=[router],
        max_body_bytes=200,
        body_limits=[("/mail/", 2000)],
        asyncapi={"asyncapi": "3.0.0"},
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_validation_errors_name_the_field():
    async with _client() as client:
        response = await client.post("/contacts", json={"email": "a@b.c", "priority": 9})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422
    assert body["errors"][0]["field"] == "priority"
    assert "priority" in body["detail"]


async def test_malformed_json_is_a_4xx_problem():
    async with _client() as client:
        response = await client.post(
            "/contacts", content=b"{nope", headers={"content-type": "application/json"}
        )
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == "application/problem+json"


async def test_raised_problem_and_unknown_route():
    async with _client() as client:
        blocked = await client.post(
            "/contacts", json={"email": "blocked@example.org", "priority": 1}
        )
        missing = await client.get("/nowhere")
    assert blocked.status_code == 403
    assert blocked.json()["title"] == "Blocked sender"
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_too_large_body_is_413_before_parsing():
    async with _client() as client:
        response = await client.post(
            "/contacts",
            content=b'{"email": "' + b"x" * 500 + b'"}',
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 413
    assert response.json()["status"] == 413


async def _chunks(*chunks: bytes) -> AsyncIterator[bytes]:
    """A body sent without Content-Length: the limit counts what arrives."""
    for chunk in chunks:
        yield chunk


async def test_paths_under_a_prefix_have_their_own_body_limit():
    async with _client() as client:
        taken = await client.post("/mail/a", content=b"x" * 1500)
        too_large = await client.post("/mail/a", content=b"x" * 2500)
        streamed = await client.post("/mail/a", content=_chunks(b"x" * 1500, b"x" * 1500))
        elsewhere = await client.post("/contacts", content=b"x" * 1500)
    assert (taken.status_code, taken.json()) == (202, {"bytes": 1500})
    assert too_large.json()["detail"] == "the request body exceeds 2000 bytes"
    assert (too_large.status_code, streamed.status_code) == (413, 413)
    assert elsewhere.json()["detail"] == "the request body exceeds 200 bytes"


async def test_health_metrics_and_asyncapi():
    async with _client() as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        assert (await client.get("/readyz")).status_code == 200
        metrics = await client.get("/metrics")
        assert "switchboard_outbox_depth" in metrics.text
        assert (await client.get("/asyncapi.json")).json() == {"asyncapi": "3.0.0"}


async def test_a_client_that_hangs_up_mid_body_is_no_server_error(caplog):
    """Found by the chaos soak: a client gone before intake read the body was logged as an
    unhandled error with its traceback and counted as a 500 (the 5xx alert's input)."""
    app = create_app(title="t", version="1", runtime=None, routers=[router])
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/mail/x",
        "raw_path": b"/mail/x",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"test"), (b"content-length", b"100")],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
    }
    parts = [
        {"type": "http.request", "body": b"partial", "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return parts.pop(0) if parts else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with caplog.at_level(logging.INFO):
        await app(scope, receive, send)
    assert sent[0]["type"] == "http.response.start"
    assert sent[0]["status"] == 499
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "the client disconnected" in caplog.text
