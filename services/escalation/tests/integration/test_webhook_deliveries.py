"""Webhook deliveries on PostgreSQL with a real HTTP receiver on loopback: signed requests,
retries with backoff, a delivery log, and a dead letter after N failures."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import select

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import EscalationRaised
from switchboard.contracts.events.common import Actor, ActorKind
from switchboard.escalation.adapters.webhook_endpoints import CoordinatorWebhooks
from switchboard.escalation.service_layer.notifications import (
    COORDINATOR_WEBHOOKS,
    enqueue_webhooks,
)
from switchboard.servicekit.deliveries import DeliverySender, RetryPolicy
from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.tables import deliveries, delivery_attempts
from switchboard.servicekit.testing.receiver import SignedReceiver, serving
from switchboard.servicekit.unit_of_work import without_dependencies

from ..conftest import WEBHOOK_SECRET, escalation_config

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def raised_event() -> EscalationRaised:
    now = datetime.now(UTC)
    return EscalationRaised(
        escalation_id="esc-1",
        case_id="case-1",
        region="nordics",
        trigger="sla_breach",
        policy_id="standard",
        level=1,
        targets=(Actor(kind=ActorKind.COORDINATOR, id="nora"),),
        priority=2,
        raised_by=Actor(kind=ActorKind.SYSTEM, id="escalation"),
        raised_at=now,
        ack_deadline=now + timedelta(minutes=10),
    )


async def queue_and_send(stack, receiver, *, max_attempts: int) -> DeliverySender:
    port = free_port()
    await stack.configured(escalation_config(webhooks=f"http://127.0.0.1:{port}"))
    async with stack.transaction() as uow:
        queued = await enqueue_webhooks(
            uow=uow,
            loaded=await uow.deps.config.current(uow.session),
            envelope=Envelope(data=raised_event(), source="/t"),
            recipients=("nora", "camille"),  # camille has no webhook
        )
    assert queued == 1
    sender = DeliverySender(
        units=without_dependencies(stack.sessions),
        endpoint_of=CoordinatorWebhooks(stack.deps.config).endpoint_of,
        streams=(COORDINATOR_WEBHOOKS,),
        retry=RetryPolicy(
            first_delay=timedelta(milliseconds=50),
            max_delay=timedelta(milliseconds=200),
            max_attempts=max_attempts,
        ),
        timeout_seconds=2,
    )
    async with serving(receiver.app(), port), sender.http_client() as client:
        for _ in range(100):
            await sender.deliver_due(client)
            async with stack.sessions() as session:
                (row,) = (await session.execute(select(deliveries))).all()
            if row.status != "pending":
                break
            await asyncio.sleep(0.05)
    return sender


async def attempts(stack) -> list:
    async with stack.sessions() as session:
        query = select(delivery_attempts).order_by(delivery_attempts.c.id)
        return list((await session.execute(query)).all())


async def test_a_failing_endpoint_is_retried_then_receives_the_signed_event(stack):
    receiver = SignedReceiver(secret=WEBHOOK_SECRET, flaky={"nora"})
    await queue_and_send(stack, receiver, max_attempts=5)
    async with stack.sessions() as session:
        (row,) = (await session.execute(select(deliveries))).all()
    assert (row.status, row.attempts) == ("delivered", 2)
    assert [a.status_code for a in await attempts(stack)] == [503, 204]
    ((who, payload, _),) = receiver.received
    assert who == "nora"
    assert payload["type"] == "switchboard.escalation.raised"
    assert payload["data"]["escalation_id"] == "esc-1"
    assert receiver.forged == 0


async def test_after_n_failures_the_delivery_is_dead_and_kept_in_the_log(stack):
    receiver = SignedReceiver(secret=WEBHOOK_SECRET, refuse_all=True)
    await queue_and_send(stack, receiver, max_attempts=3)
    async with stack.sessions() as session:
        (row,) = (await session.execute(select(deliveries))).all()
    assert (row.status, row.attempts, row.last_error) == ("dead", 3, "HTTP 500")
    log = await attempts(stack)
    assert [a.status_code for a in log] == [500, 500, 500]
    gaps = [(b.attempted_at - a.attempted_at).total_seconds() for a, b in pairwise(log)]
    assert gaps[0] >= 0.05  # first retry after 50 ms,
    assert gaps[1] >= 0.1  # the next after twice as long
