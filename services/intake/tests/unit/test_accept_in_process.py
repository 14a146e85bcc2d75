"""The accept path and the resolutions handler in-process, on the embedded SQLite database
(no broker): threading, idempotency and group commit, with the events they publish."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from switchboard.contracts.events import CaseOpened, CaseReopened, CaseResolved, ContactReceived
from switchboard.contracts.events.cases import ReopenReason
from switchboard.intake.adapters.orm import CaseRow, ContactRow
from switchboard.intake.domain.channel_adapters import AdapterSpec
from switchboard.intake.domain.contacts import ChatContact, EmailContact
from switchboard.intake.domain.language import LanguageGuess
from switchboard.intake.service_layer import channel_adapters
from switchboard.intake.service_layer.contacts.accept import Accepted, IncomingContact
from switchboard.servicekit.tables import outbox

DANISH = LanguageGuess("da", 0.9)


@pytest.fixture
async def adapters(intake):
    async with intake.service.transaction() as uow:
        registered = {}
        for spec in (
            AdapterSpec(id="mail", channel="email", region="nordics"),
            AdapterSpec(id="chat", channel="chat"),
        ):
            registered[spec.channel.value], _ = await channel_adapters.register_adapter(
                session=uow.session, box=uow.deps.secret_box, spec=spec, now=datetime.now(UTC)
            )
    return registered


@pytest.fixture
async def batcher(intake):
    """The group commit running, as the runtime runs it."""
    batcher = intake.deps.batcher
    task = asyncio.create_task(batcher.run())
    await asyncio.sleep(0)
    yield batcher
    batcher.stop()
    await asyncio.wait_for(task, 10)


def mail(message_id: str, in_reply_to: str | None = None) -> EmailContact:
    return EmailContact.model_validate(
        {
            "sender": "ann@example.dk",
            "to": ["support@acme.test"],
            "subject": "Faktura",
            "text_body": "Hej",
            "message_id": message_id,
            **({"in_reply_to": in_reply_to} if in_reply_to else {}),
        }
    )


def chat(session_id: str, visitor: str, message_id: str) -> ChatContact:
    return ChatContact.model_validate(
        {
            "session_id": session_id,
            "message_id": message_id,
            "visitor": {"id": visitor},
            "message": "Hej",
        }
    )


def incoming(adapter, contact, webhook_id: str, at: datetime | None = None) -> IncomingContact:
    return IncomingContact(
        adapter=adapter,
        contact=contact,
        webhook_id=webhook_id,
        language=DANISH,
        received_at=at or datetime.now(UTC),
    )


async def count(intake, table) -> int:
    async with intake.service.sessions() as session:
        return await session.scalar(select(func.count()).select_from(table))


async def test_reply_joins_and_retry_returns_the_original(intake, adapters, batcher):
    first = await batcher.accept(incoming(adapters["email"], mail("<q1@example.dk>"), "w1"))
    reply, retry = await asyncio.gather(
        batcher.accept(incoming(adapters["email"], mail("<r1@x.dk>", "<q1@example.dk>"), "w2")),
        batcher.accept(incoming(adapters["email"], mail("<q1@example.dk>"), "w3")),
    )
    assert first.outcome == "opened"
    assert reply.case_id == first.case_id
    assert reply.outcome == "joined"
    assert retry == Accepted(
        first.case_id, first.contact_id, first.customer_id, "opened", duplicate=True
    )
    assert await count(intake, ContactRow) == 2

    [opened] = await intake.published(CaseOpened)
    assert (opened.case_id, opened.region, opened.language) == (first.case_id, "nordics", "da")
    received = await intake.published(ContactReceived)
    assert [(r.contact_id, r.outcome.value) for r in received] == [
        (first.contact_id, "opened"),
        (reply.contact_id, "joined"),
    ]
    assert len(intake.history) == 3, "a retry publishes nothing"


async def test_a_burst_is_committed_in_batches_with_the_same_result(intake, adapters, batcher):
    answers = await asyncio.gather(
        *[
            batcher.accept(incoming(adapters["chat"], chat("s", "v", str(i)), f"a{i}"))
            for i in range(6)
        ],
        *[
            batcher.accept(incoming(adapters["chat"], chat(f"s{i}", f"v{i}", "1"), f"b{i}"))
            for i in range(6)
        ],
    )
    assert len({answer.case_id for answer in answers[:6]}) == 1
    assert len({answer.case_id for answer in answers[6:]}) == 6
    assert sorted(answer.outcome for answer in answers[:6]) == ["joined"] * 5 + ["opened"]
    assert await count(intake, ContactRow) == 12
    assert len(await intake.published(CaseOpened)) == 7
    assert len(await intake.published(ContactReceived)) == 12


async def test_without_the_worker_each_contact_commits_alone(intake, adapters):
    accepted = await intake.deps.batcher.accept(
        incoming(adapters["chat"], chat("s1", "v1", "1"), "w1")
    )
    assert accepted.outcome == "opened"
    assert [e.case_id for e in await intake.published(CaseOpened)] == [accepted.case_id]


async def test_each_contact_s_events_carry_its_request_s_trace(intake, adapters, batcher):
    traces = {f"v{n}": {"traceparent": f"00-{n:032x}-{n:016x}-01"} for n in range(1, 4)}
    answers = await asyncio.gather(
        *[
            batcher.accept(
                replace(incoming(adapters["chat"], chat(f"s-{v}", v, "1"), v), trace=trace)
            )
            for v, trace in traces.items()
        ]
    )
    async with intake.service.sessions() as session:
        rows = (await session.execute(select(outbox.c.key, outbox.c.headers))).all()
    parents = {
        (key, value) for key, headers in rows for name, value in headers if name == "traceparent"
    }
    assert parents == {
        (answer.case_id, trace["traceparent"])
        for answer, trace in zip(answers, traces.values(), strict=True)
    }
    assert len(rows) == 6


def resolution(case_id: str, resolved_at: datetime) -> CaseResolved:
    """As routing writes it; intake reads only the case and when."""
    return CaseResolved(
        case_id=case_id,
        region="nordics",
        channel="email",
        agent_id="agent-1",
        customer_id="customer-1",
        language="da",
        opened_at=resolved_at - timedelta(minutes=10),
        resolved_at=resolved_at,
        resolution_code="answered",
        first_contact_resolution=True,
        handle_seconds=42.0,
    )


async def case_row(intake, case_id: str) -> CaseRow:
    async with intake.service.sessions() as session:
        return await session.get(CaseRow, case_id)


async def test_a_resolution_closes_the_thread_and_a_reply_reopens_it(intake, adapters, batcher):
    first = await batcher.accept(incoming(adapters["email"], mail("<q2@example.dk>"), "w1"))
    resolved_at = datetime.now(UTC)
    delivered = await intake.deliver(resolution(first.case_id, resolved_at))
    await intake.deliver(*delivered)  # redelivered: the inbox skips it
    case = await case_row(intake, first.case_id)
    assert (case.status, case.resolved_at) == ("resolved", resolved_at)

    reply = await batcher.accept(
        incoming(adapters["email"], mail("<r2@x.dk>", "<q2@example.dk>"), "w2")
    )
    assert (reply.case_id, reply.outcome) == (first.case_id, "reopened")
    [reopened] = await intake.published(CaseReopened)
    assert reopened.reason is ReopenReason.CUSTOMER_REPLY
    assert reopened.previous_resolved_at == resolved_at
    assert (await case_row(intake, first.case_id)).status == "open"


async def test_a_resolution_older_than_the_latest_reopening_changes_nothing(
    intake, adapters, batcher
):
    first = await batcher.accept(incoming(adapters["chat"], chat("s", "v", "1"), "w1"))
    await intake.deliver(resolution(first.case_id, datetime.now(UTC)))
    again = await batcher.accept(incoming(adapters["chat"], chat("s", "v", "2"), "w2"))
    assert again.outcome == "reopened"

    await intake.deliver(resolution(first.case_id, datetime.now(UTC) - timedelta(minutes=5)))
    assert (await case_row(intake, first.case_id)).status == "open"


async def test_a_resolution_of_a_case_intake_does_not_know_is_passed_over(intake):
    await intake.deliver(resolution("opened-elsewhere", datetime.now(UTC)))
    assert await intake.published() == []
