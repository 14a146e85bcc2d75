"""Outgoing deliveries on the embedded SQLite database, sent to a real HTTP receiver on
loopback: signed, retried with backoff, dead after the last attempt, every attempt logged,
the owner told how each attempt settled in the transaction that records it."""

from __future__ import annotations

import asyncio
import errno
from datetime import timedelta
from itertools import pairwise

from fastapi import FastAPI, Request, Response
from prometheus_client import REGISTRY
from sqlalchemy import event, select

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
    async with sender.http_client() as client:
        for _ in range(200):
            await sender.deliver_due(client)
            async with sessions() as session:
                statuses = list((await session.execute(select(deliveries.c.status))).scalars())
            if len(statuses) == count and "pending" not in statuses:
                return
            await asyncio.sleep(0.02)
    raise AssertionError(f"deliveries still pending: {statuses}")


def _counted(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, {"stream": "adapter-outbound", **labels}) or 0.0


def _delivery_counts() -> tuple[float, float, float]:
    return (
        _counted("servicekit_delivery_attempts_total", outcome="delivered"),
        _counted("servicekit_delivery_attempts_total", outcome="failed"),
        _counted("servicekit_deliveries_dead_total"),
    )


async def test_deliveries_are_signed_retried_and_dead_after_the_last_attempt(tmp_path):
    engine, sessions = await _sessions(tmp_path)
    counted = _delivery_counts()
    port = free_port()
    receiver = SignedReceiver(secret=SECRET, flaky={"chat"})
    settled: list[Settled] = []

    async def endpoint_of(session, stream, recipient):
        if recipient == "gone":
            return None
        return Endpoint(url=f"http://127.0.0.1:{port}/{recipient}", secret=SECRET)

    async def on_settled(uow, outcomes: list[Settled]) -> None:
        assert uow.session.in_transaction()
        settled.extend(outcomes)

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
    delivered, failed, dead = (after - before for after, before in zip(_delivery_counts(), counted))
    assert (delivered, failed, dead) == (2, 4, 1)  # m1 and m2; m1 once, m3 thrice; m3

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


# ------------------------------------------------------------------ a batch recorded at once


def answering_app(hang: asyncio.Event) -> FastAPI:
    """``/ok`` 204, ``/moved`` 307, ``/gone`` 410, ``/busy`` 503, ``/hang`` never answers
    (until ``hang`` is set); none checks signatures (the first test does)."""
    app = FastAPI()
    answers = {"ok": 204, "moved": 307, "gone": 410, "busy": 503}

    @app.post("/{recipient}")
    async def receive(recipient: str, request: Request) -> Response:
        await request.body()
        if recipient == "hang":
            await hang.wait()
        headers = {"location": "http://127.0.0.1:9/elsewhere"} if recipient == "moved" else {}
        return Response(status_code=answers.get(recipient, 204), headers=headers)

    return app


class Transactions:
    """How many transactions the engine began (each of the sender's steps opens its own)."""

    def __init__(self, engine) -> None:
        self.count = 0
        event.listen(engine.sync_engine, "begin", self._began)

    def _began(self, _connection) -> None:
        self.count += 1


async def test_a_mixed_batch_is_recorded_in_one_transaction(tmp_path):
    engine, sessions = await _sessions(tmp_path)
    port = free_port()
    hang = asyncio.Event()
    looked_up: list[tuple[str, str]] = []
    settled: list[tuple[Settled, int]] = []

    async def endpoint_of(session, stream, recipient):
        looked_up.append((stream, recipient))
        if recipient == "nowhere":
            return None
        return Endpoint(url=f"http://127.0.0.1:{port}/{recipient}", secret=SECRET)

    async def on_settled(uow, outcomes: list[Settled]) -> None:
        assert uow.session.in_transaction()
        settled.extend((outcome, id(uow.session)) for outcome in outcomes)

    recipients = ["ok", "ok", "moved", "gone", "busy", "nowhere", "hang", "ok"]
    async with sessions() as session, session.begin():
        await enqueue(
            session,
            [outgoing(who, f"m{n}", port) for n, who in enumerate(recipients)],
            at=utcnow(),
        )
    sender = DeliverySender(
        units=without_dependencies(sessions),
        endpoint_of=endpoint_of,
        retry=FAST,
        on_settled=on_settled,
        timeout_seconds=0.5,
    )
    began = Transactions(engine)
    async with serving(answering_app(hang), port):
        async with sender.http_client() as client:
            assert await sender.deliver_due(client) == len(recipients)
        hang.set()

    assert began.count == 2, "the claim and the batch's record (no look-up here reads a row)"
    assert sorted(looked_up) == sorted({("adapter-outbound", who) for who in recipients})
    async with sessions() as session:
        rows = {r.message_id: r for r in (await session.execute(select(deliveries))).all()}
        log = (await session.execute(select(delivery_attempts))).all()
    assert {r.message_id: (r.status, r.attempts) for r in rows.values()} == {
        "m0": ("delivered", 1),
        "m1": ("delivered", 1),
        "m2": ("pending", 1),
        "m3": ("pending", 1),
        "m4": ("pending", 1),
        "m5": ("pending", 1),
        "m6": ("pending", 1),
        "m7": ("delivered", 1),
    }
    errors = {r.message_id: r.last_error for r in rows.values()}
    assert errors["m2"] == "HTTP 307"
    assert errors["m3"] == "HTTP 410"
    assert errors["m4"] == "HTTP 503"
    assert errors["m5"] == "nowhere has no endpoint for adapter-outbound any more"
    assert errors["m6"] == "SocketTimeoutError: Timeout on reading data from socket"
    for delivered in ("m0", "m1", "m7"):
        assert rows[delivered].delivered_at is not None
        assert rows[delivered].next_attempt_at is None
    by_id = {r.id: r.message_id for r in rows.values()}
    attempted_at = {by_id[a.delivery_id]: a.attempted_at for a in log}
    for retried in ("m2", "m3", "m4", "m5", "m6"):
        assert rows[retried].delivered_at is None
        assert rows[retried].next_attempt_at == attempted_at[retried] + FAST.first_delay
    assert sorted((by_id[a.delivery_id], a.status_code) for a in log) == [
        ("m0", 204),
        ("m1", 204),
        ("m2", 307),
        ("m3", 410),
        ("m4", 503),
        ("m5", None),
        ("m6", None),
        ("m7", 204),
    ]
    assert sorted(s.message_id for s, _ in settled) == sorted(rows), "once per delivery"
    assert len({session for _, session in settled}) == 1, "all in the recording transaction"
    assert {s.message_id: (s.status, s.error) for s, _ in settled} == {
        m: (DeliveryStatus(r.status), r.last_error) for m, r in rows.items()
    }
    await engine.dispose()


async def test_outcomes_the_database_could_not_take_are_recorded_before_anything_is_sent(
    tmp_path,
):
    engine, sessions = await _sessions(tmp_path)
    port = free_port()
    receiver = SignedReceiver(secret=SECRET)
    database_away = True
    settled: list[str] = []

    async def endpoint_of(session, stream, recipient):
        return Endpoint(url=f"http://127.0.0.1:{port}/{recipient}", secret=SECRET)

    async def on_settled(uow, outcomes: list[Settled]) -> None:
        if database_away:  # as the driver fails when PostgreSQL goes away mid-transaction
            raise OSError(errno.ECONNREFUSED, "connection refused")
        settled.extend(outcome.message_id for outcome in outcomes)

    async with sessions() as session, session.begin():
        await enqueue(
            session, [outgoing("chat", "m1", port), outgoing("mail", "m2", port)], at=utcnow()
        )
    sender = DeliverySender(
        units=without_dependencies(sessions),
        endpoint_of=endpoint_of,
        retry=FAST,
        on_settled=on_settled,
        timeout_seconds=2,
    )
    async with serving(receiver.app(), port), sender.http_client() as client:
        try:
            await sender.deliver_due(client)
            raise AssertionError("the record failed")
        except OSError:
            pass
        assert len(receiver.received) == 2, "both sent"
        async with sessions() as session:
            statuses = list((await session.execute(select(deliveries.c.status))).scalars())
            assert statuses == ["pending", "pending"], "leased, nothing recorded yet"
            assert not (await session.execute(select(delivery_attempts))).all()
        try:
            await sender.deliver_due(client)
            raise AssertionError("still away")
        except OSError:
            pass
        database_away = False
        assert await sender.deliver_due(client) == 0, "recorded, nothing else due"
    assert len(receiver.received) == 2, "neither sent again"
    assert sorted(settled) == ["m1", "m2"]
    async with sessions() as session:
        rows = (await session.execute(select(deliveries))).all()
        assert {(r.status, r.attempts) for r in rows} == {("delivered", 1)}
        assert len((await session.execute(select(delivery_attempts))).all()) == 2
    await engine.dispose()


async def test_an_owner_failing_on_one_outcome_holds_up_only_that_delivery(tmp_path):
    engine, sessions = await _sessions(tmp_path)
    port = free_port()
    receiver = SignedReceiver(secret=SECRET)
    settled: list[str] = []

    async def endpoint_of(session, stream, recipient):
        return Endpoint(url=f"http://127.0.0.1:{port}/{recipient}", secret=SECRET)

    async def on_settled(uow, outcomes: list[Settled]) -> None:
        ids = [outcome.message_id for outcome in outcomes]
        if "bad" in ids:
            raise ValueError("the owner cannot take this one")
        uow.after_commit(lambda: settled.extend(ids))

    async with sessions() as session, session.begin():
        await enqueue(
            session,
            [
                outgoing("chat", "m1", port),
                outgoing("chat", "bad", port),
                outgoing("mail", "m2", port),
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
    async with serving(receiver.app(), port), sender.http_client() as client:
        assert await sender.deliver_due(client) == 3
        assert await sender.deliver_due(client) == 0, "the bad one waits out its lease"
    assert sorted(settled) == ["m1", "m2"]
    async with sessions() as session:
        rows = {r.message_id: r for r in (await session.execute(select(deliveries))).all()}
    assert (rows["m1"].status, rows["m2"].status) == ("delivered", "delivered")
    assert (rows["bad"].status, rows["bad"].attempts) == ("pending", 0)
    assert rows["bad"].next_attempt_at > utcnow() + timedelta(seconds=5), "still leased"
    await engine.dispose()


async def test_a_batch_goes_out_in_waves_of_requests_in_flight_and_its_lease_covers_them(
    tmp_path,
):
    engine, sessions = await _sessions(tmp_path)
    port = free_port()
    in_flight, most = 0, 0

    async def slow(request: Request) -> Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.02)
        in_flight -= 1
        return Response(status_code=204)

    app = FastAPI()
    app.post("/{recipient}")(slow)

    async def endpoint_of(session, stream, recipient):
        return Endpoint(url=f"http://127.0.0.1:{port}/{recipient}", secret=SECRET)

    async with sessions() as session, session.begin():
        await enqueue(session, [outgoing("chat", f"m{n}", port) for n in range(12)], at=utcnow())
    sender = DeliverySender(
        units=without_dependencies(sessions),
        endpoint_of=endpoint_of,
        retry=FAST,
        timeout_seconds=1,
        batch_size=12,
        in_flight=4,
    )
    began = utcnow()
    async with serving(app, port), sender.http_client() as client:
        async with sessions() as session:
            claimed = await sender._claim()
            leased = {row.next_attempt_at for row in await session.execute(select(deliveries))}
        # Three waves of four, each up to two timeouts, and a timeout to record them.
        [until] = leased
        assert timedelta(seconds=6.9) < until - began < timedelta(seconds=8)
        async with sessions() as session, session.begin():
            await session.execute(deliveries.update().values(next_attempt_at=began))
        assert len(claimed) == 12
        assert await sender.deliver_due(client) == 12
    assert most == 4
    async with sessions() as session:
        statuses = set((await session.execute(select(deliveries.c.status))).scalars())
    assert statuses == {"delivered"}
    await engine.dispose()
