"""Outgoing deliveries on the embedded SQLite database, sent to a real HTTP receiver on
loopback: signed, retried with backoff, dead after the last attempt, every attempt logged,
the owner told how each attempt settled in the transaction that records it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from itertools import pairwise

import httpx
from sqlalchemy import select

from switchboard.servicekit.db import create_engine, session_factory, utcnow
from switchboard.servicekit.deliveries import (
    DeliverySender,
    DeliveryStatus,
    Endpoint,
    NotDead,
    Outgoing,
    RetryPolicy,
    Settled,
    enqueue,
    resend,
)
from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.tables import deliveries, delivery_attempts, kit_metadata
from switchboard.servicekit.testing.receiver import SignedReceiver, serving
from switchboard.servicekit.unit_of_work import without_dependencies

SECRET = "whsec_" + "c2VjcmV0LW9mLXRoZS1yZWNlaXZlci0wMTIzNDU2Nzg5"
FAST = RetryPolicy(
    first_delay=timedelta(milliseconds=50), max_delay=timedelta(milliseconds=200), max_attempts=3
)


async def _sessions(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/kit.db")
    async with engine.begin() as conn:
        await conn.run_sync(kit_metadata.create_all)
    return engine, session_factory(engine)


def outgoing(recipient: str, message_id: str, port: int) -> Outgoing:
    return Outgoing(
        stream="adapter-outbound",
        recipient=recipient,
        message_id=message_id,
        event_type="switchboard.reply.posted",
        body='{"type":"switchboard.reply.posted","data":{"text":"Hej"}}',
        url=f"http://127.0.0.1:{port}/{recipient}",
        region="nordics",
    )


async def run_until_settled(sender, sessions, count: int) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(200):
            await sender.deliver_due(client)
            async with sessions() as session:
                statuses = list((await session.execute(select(deliveries.c.status))).scalars())
            if len(statuses) == count and "pending" not in statuses:
                return
            await asyncio.sleep(0.02)
    raise AssertionError(f"deliveries still pending: {statuses}")


async def test_deliveries_are_signed_retried_and_dead_after_the_last_attempt(tmp_path):
    engine, sessions = await _sessions(tmp_path)
    port = free_port()
    receiver = SignedReceiver(secret=SECRET, flaky={"chat"})
    settled: list[Settled] = []

    async def endpoint_of(session, stream, recipient):
        if recipient == "gone":
            return None
        return Endpoint(url=f"http://127.0.0.1:{port}/{recipient}", secret=SECRET)

    async def on_settled(uow, outcome: Settled) -> None:
        assert uow.session.in_transaction()
        settled.append(outcome)

    async with sessions() as session, session.begin():
        await enqueue(
            session,
            [
                outgoing("chat", "m1", port),
                outgoing("mail", "m2", port),
                outgoing("gone", "m3", port),
            ],
            at=utcnow(),
        )
    sender = DeliverySender(
        units=without_dependencies(sessions),
        endpoint_of=endpoint_of,
        retry=FAST,
        on_settled=on_settled,
        timeout_seconds=2,
    )
    async with serving(receiver.app(), port):
        await run_until_settled(sender, sessions, 3)

    async with sessions() as session:
        rows = {r.message_id: r for r in (await session.execute(select(deliveries))).all()}
        log = (await session.execute(select(delivery_attempts).order_by("id"))).all()
    assert (rows["m1"].status, rows["m1"].attempts) == ("delivered", 2), "503 first, then 204"
    assert (rows["m2"].status, rows["m2"].attempts) == ("delivered", 1)
    assert (rows["m3"].status, rows["m3"].attempts) == ("dead", 3)
    assert rows["m3"].last_error == "gone has no endpoint for adapter-outbound any more"
    assert sorted(who for who, _, _ in receiver.received) == ["chat", "mail"]
    assert receiver.forged == 0
    (_, payload, headers) = receiver.received[0]
    assert payload == {"type": "switchboard.reply.posted", "data": {"text": "Hej"}}
    assert headers["webhook-id"] in {"m1", "m2"}
    by_delivery = {}
    for attempt in log:
        by_delivery.setdefault(attempt.delivery_id, []).append(attempt)
    dead = by_delivery[rows["m3"].id]
    gaps = [(b.attempted_at - a.attempted_at).total_seconds() for a, b in pairwise(dead)]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1, gaps  # noqa: PT018 (backoff doubles)
    assert [a.status_code for a in by_delivery[rows["m1"].id]] == [503, 204]
    outcomes = [(s.message_id, s.status, s.attempts) for s in settled]
    assert ("m1", DeliveryStatus.PENDING, 1) in outcomes
    assert ("m1", DeliveryStatus.DELIVERED, 2) in outcomes
    assert ("m3", DeliveryStatus.DEAD, 3) in outcomes

    async with sessions() as session, session.begin():
        again = await resend(session, rows["m3"].id, at=utcnow())
        assert (again.status, again.attempts) == ("pending", 0)
        try:
            await resend(session, rows["m2"].id, at=utcnow())
            raise AssertionError("a delivered delivery is not sent again")
        except NotDead:
            pass
        assert await resend(session, 999_999, at=utcnow()) is None
    await engine.dispose()


async def test_a_queued_delivery_wakes_the_running_sender_at_once(tmp_path):
    engine, sessions = await _sessions(tmp_path)
    port = free_port()
    receiver = SignedReceiver(secret=SECRET)

    async def endpoint_of(session, stream, recipient):
        return Endpoint(url=f"http://127.0.0.1:{port}/{recipient}", secret=SECRET)

    sender = DeliverySender(
        units=without_dependencies(sessions),
        endpoint_of=endpoint_of,
        retry=FAST,
        poll_seconds=30,  # only the wake-up can make it look in time
    )
    async with serving(receiver.app(), port):
        running = asyncio.create_task(sender.run())
        await asyncio.sleep(0.2)  # the first look found nothing; now it waits 30 s
        async with sessions() as session, session.begin():
            await enqueue(session, [outgoing("chat", "m1", port)], at=utcnow())
        await asyncio.wait_for(receiver.arrived.wait(), 5)
        sender.stop()
        await asyncio.wait_for(running, 5)
    await engine.dispose()
