"""Deliveries by a transport of the recipient's own (a stand-in for a mail server's answers),
on SQLite: the body as queued reaches ``send``; a taken one is delivered with its code and
answer; a refusal the other side will repeat ends it at once; a passing refusal, a raised
error and a hang are retried, and none of them puts the error's text (which may hold a
credential) into the attempt log."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from switchboard.servicekit.db import utcnow
from switchboard.servicekit.deliveries import (
    DeliverySender,
    DeliveryStatus,
    Outgoing,
    RetryPolicy,
    Settled,
    Transported,
    TransportEndpoint,
    enqueue,
)
from switchboard.servicekit.tables import deliveries, delivery_attempts
from switchboard.servicekit.unit_of_work import without_dependencies

from .test_deliveries_sqlite import _sessions, run_until_settled

FAST = RetryPolicy(
    first_delay=timedelta(milliseconds=20), max_delay=timedelta(milliseconds=40), max_attempts=3
)
CREDENTIAL = "smtp://user:hunter2@127.0.0.1"


async def test_a_transport_s_answers_settle_its_deliveries(tmp_path):
    engine, sessions = await _sessions(tmp_path)
    sent: list[str] = []
    settled: list[Settled] = []
    tries: dict[str, int] = {}

    async def send(body: str) -> Transported:
        sent.append(body)
        tries[body] = tries.get(body, 0) + 1
        if body == "taken" or (body == "busy" and tries[body] > 1):
            return Transported(ok=True, code=250, answer=b"2.0.0 Ok: queued as 4F2")
        if body == "refused":
            return Transported(ok=False, code=550, answer=b"5.1.1 no such user", final=True)
        if body == "busy":
            return Transported(ok=False, code=451, error="smtp: 451 try again later")
        if body == "hangs":
            await asyncio.sleep(60)
        raise ConnectionError(f"could not reach {CREDENTIAL}")

    async def endpoint_of(session, stream, recipient):
        return TransportEndpoint(name="smtp", send=send)

    async def on_settled(uow, outcomes):
        settled.extend(outcomes)

    bodies = ("taken", "refused", "busy", "broken", "hangs")
    async with sessions() as session, session.begin():
        await enqueue(
            session,
            [Outgoing("mail", "relay", body, "mail.send", body, "smtp:relay") for body in bodies],
            at=utcnow(),
        )
    sender = DeliverySender(
        units=without_dependencies(sessions),
        endpoint_of=endpoint_of,
        retry=FAST,
        on_settled=on_settled,
        timeout_seconds=0.1,
    )
    await run_until_settled(sender, sessions, len(bodies))

    async with sessions() as session:
        rows = {r.message_id: r for r in (await session.execute(select(deliveries))).all()}
        log = (await session.execute(select(delivery_attempts))).all()
    assert (rows["taken"].status, rows["taken"].attempts) == ("delivered", 1)
    assert (rows["refused"].status, rows["refused"].attempts) == ("dead", 1), "no pointless retry"
    assert rows["refused"].last_error == "smtp: refused (550)"
    assert (rows["busy"].status, rows["busy"].attempts) == ("delivered", 2)
    assert (rows["broken"].status, rows["broken"].attempts) == ("dead", 3)
    assert rows["broken"].last_error == "smtp: ConnectionError"
    assert (rows["hangs"].status, rows["hangs"].attempts) == ("dead", 3)
    assert rows["hangs"].last_error.startswith("TimeoutError")
    assert all(CREDENTIAL not in (a.error or "") for a in log)
    assert {a.status_code for a in log if a.delivery_id == rows["busy"].id} == {451, 250}
    assert set(sent) == set(bodies)

    taken = next(s for s in settled if s.message_id == "taken")
    assert (taken.status, taken.status_code) == (DeliveryStatus.DELIVERED, 250)
    assert taken.answer == b"2.0.0 Ok: queued as 4F2"
    refused = next(s for s in settled if s.message_id == "refused")
    assert (refused.status, refused.status_code, refused.answer) == (
        DeliveryStatus.DEAD,
        550,
        b"5.1.1 no such user",
    )
    await engine.dispose()
