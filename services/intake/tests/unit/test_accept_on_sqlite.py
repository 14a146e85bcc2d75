"""The accept path on the embedded SQLite database a local run uses without PostgreSQL:
threading, idempotency and group commit, with the outbox rows they write."""

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from switchboard.intake import adapter_registry as registry
from switchboard.intake import handlers
from switchboard.intake.accept_batcher import AcceptBatcher, PendingContact
from switchboard.intake.adapters.orm import Contact, metadata
from switchboard.intake.domain.contacts import ChatContact, EmailContact
from switchboard.intake.domain.language import LanguageGuess
from switchboard.intake.domain.priority import PriorityPolicy
from switchboard.intake.migrations import VERSIONS_DIR
from switchboard.intake.settings import IntakeSettings
from switchboard.servicekit.db import create_engine, session_factory
from switchboard.servicekit.migrations import migrate
from switchboard.servicekit.tables import outbox

DANISH = LanguageGuess("da", 0.9)


@pytest.fixture
async def sqlite(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/intake.db"
    await migrate(url, versions_dir=VERSIONS_DIR, metadata=metadata)
    engine = create_engine(url)
    sessions = session_factory(engine)
    settings = IntakeSettings.load()
    async with sessions() as session, session.begin():
        email, _ = await registry.register_adapter(
            session=session,
            spec=registry.AdapterSpec(id="mail", channel="email", region="nordics"),
            box=settings.secret_box(),
            now=datetime.now(UTC),
        )
        chat, _ = await registry.register_adapter(
            session=session,
            spec=registry.AdapterSpec(id="chat", channel="chat"),
            box=settings.secret_box(),
            now=datetime.now(UTC),
        )
    intake = handlers.Intake(
        priorities=PriorityPolicy(), reopen_window=settings.reopen_window, default_region="eu"
    )
    batcher = AcceptBatcher(sessions=sessions, intake=intake)
    task = asyncio.create_task(batcher.run())
    await asyncio.sleep(0)
    yield sessions, batcher, {"email": email, "chat": chat}
    batcher.stop()
    await asyncio.wait_for(task, 10)
    await engine.dispose()


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


def pending(adapter, contact, webhook_id: str) -> PendingContact:
    return PendingContact(
        adapter=adapter,
        contact=contact,
        webhook_id=webhook_id,
        language=DANISH,
        received_at=datetime.now(UTC),
    )


async def count(sessions, table) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(table))


async def test_reply_joins_and_retry_returns_the_original(sqlite):
    sessions, batcher, adapters = sqlite
    first = await batcher.accept(pending(adapters["email"], mail("<q1@example.dk>"), "w1"))
    reply, retry = await asyncio.gather(
        batcher.accept(pending(adapters["email"], mail("<r1@x.dk>", "<q1@example.dk>"), "w2")),
        batcher.accept(pending(adapters["email"], mail("<q1@example.dk>"), "w3")),
    )
    assert first.outcome == "opened"
    assert reply.case_id == first.case_id
    assert reply.outcome == "joined"
    assert retry == handlers.Accepted(
        first.case_id, first.contact_id, first.customer_id, "opened", duplicate=True
    )
    assert await count(sessions, Contact) == 2
    assert await count(sessions, outbox) == 3  # opened + two contacts received


async def test_a_burst_is_committed_in_batches_with_the_same_result(sqlite):
    sessions, batcher, adapters = sqlite

    def chat(session_id: str, visitor: str, message_id: str) -> ChatContact:
        return ChatContact.model_validate(
            {
                "session_id": session_id,
                "message_id": message_id,
                "visitor": {"id": visitor},
                "message": "Hej",
            }
        )

    answers = await asyncio.gather(
        *[
            batcher.accept(pending(adapters["chat"], chat("s", "v", str(i)), f"a{i}"))
            for i in range(6)
        ],
        *[
            batcher.accept(pending(adapters["chat"], chat(f"s{i}", f"v{i}", "1"), f"b{i}"))
            for i in range(6)
        ],
    )
    assert len({answer.case_id for answer in answers[:6]}) == 1
    assert len({answer.case_id for answer in answers[6:]}) == 6
    assert sorted(answer.outcome for answer in answers[:6]) == ["joined"] * 5 + ["opened"]
    assert await count(sessions, Contact) == 12
