"""Routing's HTTP API in-process on SQLite (no broker): servicekit's app around the
service, its shared dependencies, and what each route answers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from switchboard.routing.adapters.orm import AgentRow
from switchboard.routing.entrypoints.app import HTTP_API
from switchboard.servicekit.service import service_app


class Api:
    def __init__(self, desk, app: Any) -> None:
        self.desk = desk
        self.app = app
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://routing.test"
        )

    def headers(self, subject: str, role: str = "agent", regions: tuple[str, ...] = ()):
        token = self.desk.service.service.tokens.issue(
            subject=subject, role=role, regions=regions, ttl=timedelta(minutes=5)
        )
        return {"Authorization": f"Bearer {token}"}

    @property
    def admin(self) -> dict[str, str]:
        return self.headers("admin-1", "admin")

    async def hire(self, agent_id: str, **profile: Any) -> httpx.Response:
        body = {"region": "nordics", "languages": ["da", "en"], **profile}
        return await self.client.put(f"/v1/agents/{agent_id}", json=body, headers=self.admin)

    async def act(self, agent_id: str, case_id: str, action: str, body: Any = None):
        return await self.client.post(
            f"/v1/cases/{case_id}/{action}", json=body, headers=self.headers(agent_id)
        )


@pytest.fixture
async def api(desk) -> AsyncIterator[Api]:
    client = Api(desk, service_app(desk.service.service, HTTP_API))
    yield client
    await client.client.aclose()


async def test_an_agent_is_hired_made_available_offered_a_case_and_works_it(api, desk):
    hired = await api.hire("a1", skills={"billing": 8}, capacity={"chat": 2})
    assert hired.status_code == 200, hired.text
    assert hired.json()["presence"] == "offline"
    presence = await api.client.put(
        "/v1/agents/a1/presence", json={"presence": "available"}, headers=api.headers("a1")
    )
    assert presence.json()["presence"] == "available"
    await desk.cycle()
    await desk.open_case("c1")

    work = await api.client.get("/v1/agents/a1/work", headers=api.headers("a1"))
    assert [(c["case_id"], c["state"]) for c in work.json()] == [("c1", "offered")]
    assert work.json()[0]["explanation"]["trigger"] == "case_arrived"
    # What the agent workspace shows of an offer: its countdown's end, the case's facts.
    offered = work.json()[0]
    assert offered["offer_expires_at"] is not None
    assert (offered["customer_id"], offered["region"], offered["language"]) == (
        "customer-c1",
        "nordics",
        "da",
    )
    assert (await api.act("a1", "c1", "accept")).json()["state"] == "assigned"
    held = await api.client.get("/v1/agents/a1/work", headers=api.headers("a1"))
    assert [(c["state"], c["offer_expires_at"]) for c in held.json()] == [("assigned", None)]
    replied = await api.act("a1", "c1", "replies", {"message_id": "m1"})
    assert replied.status_code == 200
    resolved = await api.act("a1", "c1", "resolve", {"resolution_code": "refunded"})
    assert resolved.json()["state"] == "wrap_up"
    assert (await api.act("a1", "c1", "wrap-up/finish")).json()["state"] == "done"
    agent = await api.client.get("/v1/agents/a1", headers=api.admin)
    assert agent.json()["load"] == {"chat": 0}


async def test_a_waiting_case_tells_its_place_in_the_queue(api, desk):
    for n in range(3):
        await desk.open_case(f"c{n}")
    await desk.cycle()
    view = await api.client.get("/v1/cases/c2", headers=api.admin)
    assert view.status_code == 200
    assert (view.json()["state"], view.json()["queue_position"]) == ("waiting", 2)
    assert view.json()["estimated_wait_seconds"] is None


async def test_the_answer_is_sent_once_the_change_is_committed(api, desk):
    seen_at_answer: list[bool] = []

    async def app_noting_visibility(scope, receive, send):
        async def send_after_looking(message):
            if message["type"] == "http.response.start":
                async with desk.service.service.sessions() as elsewhere:
                    seen_at_answer.append(await elsewhere.get(AgentRow, "a1") is not None)
            await send(message)

        await api.app(scope, receive, send_after_looking)

    transport = httpx.ASGITransport(app=app_noting_visibility)
    async with httpx.AsyncClient(transport=transport, base_url="http://routing.test") as client:
        body = {"region": "nordics", "capacity": {"chat": 2}}
        response = await client.put("/v1/agents/a1", json=body, headers=api.admin)
    assert response.status_code == 200, response.text
    assert seen_at_answer == [True]


async def test_refusals_are_problems_with_the_status_they_always_had(api, desk):
    client = api.client
    await api.hire("a1")
    await desk.open_case("c1")

    def problem(response: httpx.Response, status: int) -> dict[str, Any]:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        return response.json()

    problem(await client.get("/v1/agents/a1"), 401)
    problem(await client.get("/v1/agents/a1", headers=api.headers("someone-else")), 403)
    problem(await client.get("/v1/agents/nobody", headers=api.admin), 404)
    problem(await api.hire("a1", skills={"billing": 11}), 422)
    not_admin = {"region": "nordics", "skills": {"billing": 11}}
    refused = await client.put("/v1/agents/a1", json=not_admin, headers=api.headers("a1"))
    problem(refused, 422)  # the body is checked before the role, as it always was
    refused = await client.put(
        "/v1/agents/a1", json={"region": "nordics"}, headers=api.headers("a1")
    )
    assert problem(refused, 403)["detail"] == "this needs the admin role"
    problem(await api.act("a1", "nope", "accept"), 404)
    problem(await api.act("a1", "c1", "resolve", {}), 409)
    problem(await api.act("a1", "c1", "transfer", {}), 422)
    acting_for = await client.post("/v1/cases/c1/accept?agent_id=a2", headers=api.headers("a1"))
    problem(acting_for, 403)
    problem(await client.get("/v1/policies", headers=api.headers("a1")), 403)


async def test_capacity_and_proficiency_are_json_numbers_never_booleans_or_strings(api):
    for capacity in ({"phone": False}, {"chat": True}, {"email": "2"}):
        refused = await api.hire("a1", capacity=capacity)
        assert refused.status_code == 422, (capacity, refused.text)
    assert (await api.hire("a1", skills={"billing": True})).status_code == 422
    hired = await api.hire("a1", skills={"billing": 8.0}, capacity={"phone": 1.0, "chat": 2})
    assert hired.status_code == 200, hired.text
    assert hired.json()["capacity"]["phone"] == 1
    misspelt = await api.client.get("/v1/agents", params={"regoin": "x"}, headers=api.admin)
    assert misspelt.status_code == 422, misspelt.text


async def test_policies_are_stored_validated_and_in_force_at_once(api, desk):
    document = {
        "policies": [
            {
                "name": "billing",
                "when": 'case.department == "billing"',
                "steps": [{"requires": "billing >= 5", "timeout": "1m"}],
            }
        ]
    }
    stored = await api.client.put("/v1/policies", json=document, headers=api.admin)
    assert stored.status_code == 200, stored.text
    assert (await api.client.get("/v1/policies", headers=api.admin)).json() == document
    assert desk.service.deps.policies.current.by_name("billing").name == "billing"
    await desk.open_case("c1", department="billing")
    assert (await desk.case("c1")).policy == "billing"

    bad = {"policies": [{"name": "p", "steps": [{"requires": "billing >= ", "timeout": 5}]}]}
    rejected = await api.client.put("/v1/policies", json=bad, headers=api.admin)
    assert rejected.status_code == 422
    assert (rejected.json()["where"], rejected.json()["column"]) == (
        "policies[0].steps[0].requires",
        12,
    )
    lone_surrogate = await api.client.put(
        "/v1/policies",
        content=json.dumps({"policies": [{"name": "p\ud800", "steps": []}]}),
        headers={**api.admin, "content-type": "application/json"},
    )
    assert lone_surrogate.status_code == 422


async def test_coordinators_list_the_agents_and_queues_of_their_regions(api, desk):
    await api.hire("a1")
    await api.hire("b1", region="dach", languages=["de"])
    await desk.open_case("c1")
    nordics = api.headers("coordinator-1", "coordinator", ("nordics",))

    agents = await api.client.get("/v1/agents", headers=nordics)
    assert [agent["id"] for agent in agents.json()] == ["a1"]
    queues = await api.client.get("/v1/queues", headers=nordics)
    assert [(q["pool"], q["waiting"]) for q in queues.json()] == [("nordics", 1)]
    assert (await api.client.get("/v1/queues", headers=api.headers("a1"))).status_code == 403


async def test_the_asyncapi_document_names_what_routing_reads_and_writes(api):
    document = (await api.client.get("/asyncapi.json")).json()
    channels = json.dumps(document)
    for topic in ("switchboard.cases", "switchboard.assignments", "switchboard.agent-status"):
        assert topic in channels
