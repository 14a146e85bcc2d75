"""Deliveries to a provider's own API, on SQLite, to a stand-in on loopback: the provider's
URL (with a credential in its path) and headers, the body as queued and no Standard
Webhooks signature; the answer reaches the owner; a refusal the provider would repeat ends
the delivery at once unless it asks to wait (a provider may throttle with a 400), a wait it
asks for is kept, a transient failure is retried; the URL never reaches the attempt log."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi import FastAPI, Request, Response
from sqlalchemy import select

from switchboard.servicekit.db import utcnow
from switchboard.servicekit.deliveries import (
    DeliverySender,
    DeliveryStatus,
    Outgoing,
    ProviderEndpoint,
    RetryPolicy,
    Settled,
    enqueue,
)
from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.tables import deliveries, delivery_attempts
from switchboard.servicekit.testing.receiver import serving
from switchboard.servicekit.unit_of_work import without_dependencies

from .test_deliveries_sqlite import _sessions, run_until_settled

FAST = RetryPolicy(
    first_delay=timedelta(milliseconds=50), max_delay=timedelta(milliseconds=100), max_attempts=3
)
TOKEN = "123456:secret-token"


def stand_in(seen: list[tuple[str, bytes, dict[str, str]]]) -> FastAPI:
    """Answers by the body's ``answer``: ok (200 with an id), refused (403), busy (429 with
    a wait in the body, then ok), throttled (the same with a 400), broken (500)."""
    app = FastAPI()
    busy_once: set[str] = set()

    @app.post("/bot{token}/send")
    async def send(token: str, request: Request) -> Response:
        body = await request.body()
        seen.append((token, body, dict(request.headers)))
        answer = json.loads(body)["answer"]
        if answer in ("busy", "throttled") and answer not in busy_once:
            busy_once.add(answer)
            status = 429 if answer == "busy" else 400
            wait = {"ok": False, "error_code": status, "parameters": {"retry_after": 0.3}}
            return Response(json.dumps(wait), status_code=status, media_type="application/json")
        if answer in ("ok", "busy", "throttled"):
            return Response('{"ok":true,"result":{"message_id":7}}', media_type="application/json")
        if answer == "refused":
            return Response('{"ok":false,"error_code":403}', status_code=403)
        return Response("down", status_code=500)

    return app


def retry_after_in_body(status: int, answer: bytes) -> float | None:
    if status not in (400, 429):
        return None
    seconds: float = json.loads(answer)["parameters"]["retry_after"]
    return seconds


async def test_a_provider_request_is_sent_unsigned_to_its_own_url_and_judged_by_its_answer(
    tmp_path,
):
    engine, sessions = await _sessions(tmp_path)
    port = free_port()
    seen: list[tuple[str, bytes, dict[str, str]]] = []
    settled: list[Settled] = []
    url = f"http://127.0.0.1:{port}/bot{TOKEN}/send"

    async def endpoint_of(session, stream, recipient):
        return ProviderEndpoint(
            url=url, headers={"x-provider": "yes"}, retry_after=retry_after_in_body
        )

    async def on_settled(uow, outcomes):
        settled.extend(outcomes)

    now = utcnow()
    async with sessions() as session, session.begin():
        await enqueue(
            session,
            [
                Outgoing(
                    stream="provider",
                    recipient="bot",
                    message_id=answer,
                    event_type="provider.send",
                    body=json.dumps({"answer": answer}),
                    url="provider:send",
                )
                for answer in ("ok", "refused", "busy", "throttled", "broken")
            ],
            at=now,
        )
    sender = DeliverySender(
        units=without_dependencies(sessions),
        endpoint_of=endpoint_of,
        retry=FAST,
        on_settled=on_settled,
        timeout_seconds=2,
    )
    async with serving(stand_in(seen), port):
        await run_until_settled(sender, sessions, 5)

    async with sessions() as session:
        rows = {r.message_id: r for r in (await session.execute(select(deliveries))).all()}
        log = (await session.execute(select(delivery_attempts))).all()
    assert (rows["ok"].status, rows["ok"].attempts) == ("delivered", 1)
    assert (rows["refused"].status, rows["refused"].attempts) == ("dead", 1), "no pointless retry"
    assert rows["refused"].last_error == "HTTP 403"
    assert (rows["busy"].status, rows["busy"].attempts) == ("delivered", 2)
    assert (rows["throttled"].status, rows["throttled"].attempts) == ("delivered", 2)
    assert (rows["broken"].status, rows["broken"].attempts) == ("dead", 3)
    busy = sorted(a.attempted_at for a in log if a.delivery_id == rows["busy"].id)
    assert busy[1] - busy[0] >= timedelta(seconds=0.3), "the provider's wait, not 50 ms"
    assert all(TOKEN not in (a.error or "") for a in log)

    assert {token for token, _, _ in seen} == {TOKEN}
    for _, body, headers in seen:
        assert json.loads(body)["answer"] in ("ok", "refused", "busy", "throttled", "broken")
        assert headers["content-type"] == "application/json"
        assert headers["x-provider"] == "yes"
        assert not any(name.startswith("webhook-") for name in headers)

    ok = next(s for s in settled if s.message_id == "ok")
    assert ok.status is DeliveryStatus.DELIVERED
    assert json.loads(ok.answer) == {"ok": True, "result": {"message_id": 7}}
    refused = next(s for s in settled if s.message_id == "refused")
    assert (refused.status, refused.status_code) == (DeliveryStatus.DEAD, 403)
    assert json.loads(refused.answer)["error_code"] == 403
    await engine.dispose()


async def test_an_unreachable_provider_is_retried_and_its_url_stays_out_of_the_log(tmp_path):
    engine, sessions = await _sessions(tmp_path)
    port = free_port()  # nobody listens

    async def endpoint_of(session, stream, recipient):
        return ProviderEndpoint(url=f"http://127.0.0.1:{port}/bot{TOKEN}/send")

    async with sessions() as session, session.begin():
        await enqueue(
            session,
            [Outgoing("provider", "bot", "m1", "provider.send", "{}", "provider:send")],
            at=utcnow(),
        )
    sender = DeliverySender(
        units=without_dependencies(sessions), endpoint_of=endpoint_of, retry=FAST, timeout_seconds=1
    )
    await run_until_settled(sender, sessions, 1)
    async with sessions() as session:
        row = (await session.execute(select(deliveries))).one()
        errors = list((await session.execute(select(delivery_attempts.c.error))).scalars())
    assert (row.status, row.attempts) == ("dead", 3)
    assert all(error and TOKEN not in error for error in errors), errors
    assert repr(ProviderEndpoint(url="http://x/secret")).find("secret") == -1
    await engine.dispose()


@pytest.mark.parametrize(
    ("header", "body_says", "wait"),
    [
        ("30", None, timedelta(seconds=30)),
        ("99999999999999999999", None, timedelta(days=1)),
        ("٣٠", None, None),  # Arabic-Indic digits: not a Retry-After
        ("soon", None, None),
        (None, float("inf"), timedelta(days=1)),
        (None, float("nan"), None),
        (None, -5.0, None),
    ],
)
def test_a_wait_a_provider_asks_for_is_kept_up_to_a_day(header, body_says, wait):
    endpoint = ProviderEndpoint(url="http://127.0.0.1:9/x", retry_after=lambda _c, _b: body_says)
    assert endpoint.wait_asked(429, b"", header) == wait
