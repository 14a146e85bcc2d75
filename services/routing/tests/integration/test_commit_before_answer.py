"""An API answer is sent only once its change is committed: no read-your-write races."""

from __future__ import annotations

import httpx
import pytest

from switchboard.routing.adapters.orm import AgentRow

from .conftest import unique

pytestmark = pytest.mark.integration


async def test_the_change_is_visible_when_the_answer_starts(stack, start_replica):
    replica = await start_replica()
    agent_id = unique("agent")
    seen_at_answer: list[bool] = []

    async def app_noting_visibility(scope, receive, send):
        async def send_after_looking(message):
            if message["type"] == "http.response.start":
                async with replica.service.sessions() as elsewhere:
                    seen_at_answer.append(await elsewhere.get(AgentRow, agent_id) is not None)
            await send(message)

        await replica.app(scope, receive, send_after_looking)

    transport = httpx.ASGITransport(app=app_noting_visibility)
    async with httpx.AsyncClient(transport=transport, base_url="http://routing.test") as client:
        body = {"region": "nordics", "capacity": {"chat": 2}, "languages": ["en"]}
        response = await client.put(f"/v1/agents/{agent_id}", json=body, headers=replica.admin)
    assert response.status_code == 200, response.text
    assert seen_at_answer == [True], "the agent must be committed before the answer is sent"
