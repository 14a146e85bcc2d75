"""A case's conversation on the real stack: routing's assignment arrives through Kafka, the
holding agent reads every message from PostgreSQL, page by page; another agent may not."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from switchboard.contracts.envelope import Envelope, encode
from switchboard.contracts.events.common import Channel
from switchboard.servicekit.kafka import make_producer
from switchboard.servicekit.testing.helpers import eventually

from ..builders import assigned

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def assign_as_routing(intake, case_id: str, agent_id: str) -> None:
    assignment = assigned(
        case_id, agent_id, datetime.now(UTC), channel=Channel.CHAT, waited=timedelta(seconds=5)
    )
    record = encode(Envelope(data=assignment, source="/switchboard/routing"))
    producer = make_producer(intake.bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(
            record.topic, record.value, key=record.key, headers=record.headers
        )
    finally:
        await producer.stop()


def agent(intake, agent_id: str) -> dict[str, str]:
    token = intake.service.tokens.issue(subject=agent_id, role="agent")
    return {"Authorization": f"Bearer {token}"}


async def test_the_holding_agent_reads_the_whole_conversation_in_pages(intake, chat_body):
    chat = await intake.register("chat", region="nordics")
    token = uuid.uuid4().hex
    texts = [f"Hej, besked nummer {n}: pakken er ikke kommet." for n in range(5)]
    answers = [
        await intake.post(chat, chat_body(token, message_id=f"m-{token}-{n}", message=text))
        for n, text in enumerate(texts)
    ]
    [case_id] = {answer.json()["case_id"] for answer in answers}
    path = f"/v1/cases/{case_id}/messages"
    agent_id = f"agent-{token[:8]}"
    assert (await intake.client.get(path, headers=agent(intake, agent_id))).status_code == 403

    await assign_as_routing(intake, case_id, agent_id)

    async def readable() -> bool:
        answer = await intake.client.get(path, headers=agent(intake, agent_id))
        return answer.status_code == 200

    assert await eventually(readable, timeout=20)
    seen, cursor = [], None
    while True:
        page = await intake.client.get(
            path,
            params={"limit": 2, **({"after": cursor} if cursor else {})},
            headers=agent(intake, agent_id),
        )
        assert page.status_code == 200, page.text
        seen += [message["text"] for message in page.json()["messages"]]
        if (cursor := page.json()["next"]) is None:
            break
    assert seen == texts
    assert (await intake.client.get(path, headers=agent(intake, "someone-else"))).status_code == 403


async def test_concurrent_retries_of_a_keyed_reply_post_one_reply(intake, chat_body):
    chat = await intake.register("chat", region="nordics", outbound_url="http://127.0.0.1:9/c")
    token = uuid.uuid4().hex
    answer = await intake.post(chat, chat_body(token))
    case_id = answer.json()["case_id"]
    agent_id = f"agent-{token[:8]}"
    await assign_as_routing(intake, case_id, agent_id)
    replies = f"/v1/cases/{case_id}/replies"
    hello = {"text": "Hej! Hvad kan jeg hjælpe med?"}
    unkeyed = agent(intake, agent_id)

    async def held() -> bool:
        probe = await intake.client.get(f"/v1/cases/{case_id}/messages", headers=unkeyed)
        return probe.status_code == 200

    assert await eventually(held, timeout=20)
    keyed = {**unkeyed, "Idempotency-Key": f"retry-{token}"}
    racing = await asyncio.gather(
        *(intake.client.post(replies, json=hello, headers=keyed) for _ in range(6))
    )
    assert {r.status_code for r in racing} == {202}, [r.text for r in racing]
    assert len({r.json()["reply_id"] for r in racing}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in racing) == 5
    messages = await intake.client.get(f"/v1/cases/{case_id}/messages", headers=unkeyed)
    outbound = [m for m in messages.json()["messages"] if m["direction"] == "outbound"]
    assert len(outbound) == 1
