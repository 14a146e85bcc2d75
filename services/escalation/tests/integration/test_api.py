"""The coordinators' and admins' HTTP API on PostgreSQL: bearer tokens with role and
regions, a coordinator never seeing or touching another region, problem+json for bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from switchboard.escalation.entrypoints.app import HTTP_API
from switchboard.servicekit.auth import Role
from switchboard.servicekit.service import service_app

from ..conftest import Stack, case_opened

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
PROBLEM = "application/problem+json"


class Api:
    def __init__(self, stack: Stack, client: httpx.AsyncClient) -> None:
        self.stack = stack
        self.service = stack.service.service
        self.client = client

    def as_(self, subject: str, role: Role, *regions: str) -> dict[str, str]:
        token = self.service.tokens.issue(subject=subject, role=role, regions=list(regions))
        return {"authorization": f"Bearer {token}"}

    async def open_case(self, region: str = "nordics") -> str:
        opened = case_opened(at=datetime.now(UTC), region=region)
        await self.stack.deliver(opened)
        return opened.case_id


@pytest.fixture
async def api(stack: Stack) -> AsyncIterator[Api]:
    """The HTTP API around the PostgreSQL stack (no broker: its runtime never starts)."""
    transport = httpx.ASGITransport(app=service_app(stack.service.service, HTTP_API))
    async with httpx.AsyncClient(transport=transport, base_url="http://escalation") as client:
        yield Api(stack, client)


NORA = ("nora", Role.COORDINATOR, "nordics")
MAGNUS = ("magnus", Role.COORDINATOR, "nordics")
CAMILLE = ("camille", Role.COORDINATOR, "france")
AGENT = ("agent-7", Role.AGENT, "nordics")
ADMIN = ("root", Role.ADMIN)


async def raise_manually(api: Api) -> str:
    case_id = await api.open_case()
    response = await api.client.post(
        f"/v1/cases/{case_id}/escalations",
        json={"reason": "customer asks for a manager"},
        headers=api.as_(*AGENT),
    )
    assert response.status_code == 201, response.text
    assert response.json()["trigger"] == "manual"
    return str(response.json()["escalation_id"])


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-jwt",
        "Bearer "
        + jwt.encode(
            {
                "sub": "x",
                "role": "admin",
                "aud": "switchboard",
                "exp": datetime.now(UTC) + timedelta(hours=1),
            },
            "another-secret-that-is-long-enough-for-hs256",
            algorithm="HS256",
        ),
    ],
)
async def test_requests_without_a_valid_bearer_token_get_401(api, authorization):
    headers = {"authorization": authorization} if authorization else {}
    response = await api.client.get("/v1/escalations", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_expired_tokens_and_unknown_roles_are_refused(api):
    expired = api.service.tokens.issue(
        subject="nora", role=Role.COORDINATOR, regions=["nordics"], ttl=timedelta(seconds=-1)
    )
    response = await api.client.get(
        "/v1/escalations", headers={"authorization": f"Bearer {expired}"}
    )
    assert response.status_code == 401
    odd = jwt.encode(
        {
            "sub": "x",
            "role": "emperor",
            "aud": "switchboard",
            "exp": datetime.now(UTC) + timedelta(hours=1),
        },
        api.service.settings.jwt_secret.get_secret_value(),
        algorithm="HS256",
    )
    response = await api.client.get("/v1/escalations", headers={"authorization": f"Bearer {odd}"})
    assert response.status_code == 401


async def test_a_coordinator_never_sees_or_touches_another_regions_escalation(api):
    escalation_id = await raise_manually(api)
    camille = api.as_(*CAMILLE)
    assert (await api.client.get("/v1/escalations", headers=camille)).json() == []
    for method, path, body in [
        ("GET", f"/v1/escalations/{escalation_id}", None),
        ("POST", f"/v1/escalations/{escalation_id}/acknowledge", {}),
        ("POST", f"/v1/escalations/{escalation_id}/reassign", {"to": "camille"}),
        ("POST", f"/v1/escalations/{escalation_id}/resolve", {}),
    ]:
        response = await api.client.request(method, path, json=body, headers=camille)
        assert response.status_code == 404, (path, response.text)
        assert response.headers["content-type"] == PROBLEM
    nora_sees = (await api.client.get("/v1/escalations", headers=api.as_(*NORA))).json()
    assert [e["escalation_id"] for e in nora_sees] == [escalation_id]
    assert nora_sees[0]["status"] == "open"


async def test_acknowledge_reassign_and_resolve(api):
    escalation_id = await raise_manually(api)
    base = f"/v1/escalations/{escalation_id}"
    agent_ack = await api.client.post(f"{base}/acknowledge", json={}, headers=api.as_(*AGENT))
    assert agent_ack.status_code == 403
    outside = await api.client.post(
        f"{base}/reassign", json={"to": "camille"}, headers=api.as_(*NORA)
    )
    assert outside.status_code == 409
    reassigned = await api.client.post(
        f"{base}/reassign", json={"to": "magnus"}, headers=api.as_(*NORA)
    )
    assert reassigned.json()["assignee"] == "magnus"
    acknowledged = await api.client.post(
        f"{base}/acknowledge", json={"note": "taking it"}, headers=api.as_(*MAGNUS)
    )
    assert (acknowledged.json()["status"], acknowledged.json()["acknowledged_by"]) == (
        "acknowledged",
        "magnus",
    )
    again = await api.client.post(f"{base}/acknowledge", json={}, headers=api.as_(*MAGNUS))
    assert again.status_code == 409
    resolved = await api.client.post(f"{base}/resolve", json={}, headers=api.as_(*MAGNUS))
    assert resolved.json()["status"] == "resolved"
    twice = await api.client.post(f"{base}/resolve", json={}, headers=api.as_(*MAGNUS))
    assert twice.status_code == 409
    assert twice.headers["content-type"] == PROBLEM


async def test_one_active_escalation_per_case_and_only_cases_of_ones_regions(api):
    escalation_id = await raise_manually(api)
    row = (await api.client.get(f"/v1/escalations/{escalation_id}", headers=api.as_(*NORA))).json()
    again = await api.client.post(
        f"/v1/cases/{row['case_id']}/escalations", json={"reason": "again"}, headers=api.as_(*AGENT)
    )
    assert again.status_code == 409
    french_case = await api.open_case(region="france")
    elsewhere = await api.client.post(
        f"/v1/cases/{french_case}/escalations", json={"reason": "x"}, headers=api.as_(*AGENT)
    )
    assert elsewhere.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"reason": ""},
        {"reason": "x" * 2001},
        {"reason": "ok", "surprise": 1},
        {},
        [],
        {"reason": "nul\x00inside"},  # PostgreSQL stores no NUL
    ],
)
async def test_bad_bodies_get_422_problems(api, body):
    case_id = await api.open_case()
    response = await api.client.post(
        f"/v1/cases/{case_id}/escalations", json=body, headers=api.as_(*AGENT)
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM


async def test_a_lone_surrogate_in_a_reason_gets_a_422_problem(api):
    """``\ud800`` is a valid JSON escape but not Unicode text: no database stores it."""
    case_id = await api.open_case()
    response = await api.client.post(
        f"/v1/cases/{case_id}/escalations",
        content=b'{"reason": "lone \\ud800 surrogate"}',
        headers={**api.as_(*AGENT), "content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(
    ("method", "path", "body", "who"),
    [
        ("GET", "/v1/escalations/%00", None, NORA),
        ("POST", "/v1/escalations/%00/acknowledge", {}, NORA),
        ("POST", "/v1/escalations/%00/reassign", {"to": "magnus"}, NORA),
        ("GET", "/v1/cases/%00/sla", None, NORA),
        ("POST", "/v1/cases/%00/escalations", {"reason": "angry"}, AGENT),
        ("GET", "/v1/escalations?region=%00", None, ADMIN),
        ("GET", "/v1/admin/webhook-deliveries/9223372036854775808/attempts", None, ADMIN),
        ("POST", "/v1/admin/webhook-deliveries/9223372036854775808/retry", None, ADMIN),
    ],
)
async def test_values_the_database_cannot_hold_get_422_problems(api, method, path, body, who):
    """PostgreSQL stores no NUL character, nor an integer beyond 64 bits."""
    response = await api.client.request(method, path, json=body, headers=api.as_(*who))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM


async def test_a_case_clocks_are_readable_in_its_region_only(api):
    case_id = await api.open_case()
    clocks = (await api.client.get(f"/v1/cases/{case_id}/sla", headers=api.as_(*NORA))).json()
    assert sorted(c["metric"] for c in clocks) == ["first_response", "resolution"]
    assert all(c["state"] == "running" for c in clocks)
    hidden = await api.client.get(f"/v1/cases/{case_id}/sla", headers=api.as_(*CAMILLE))
    assert hidden.status_code == 404


async def test_admins_replace_the_configuration_as_a_whole_and_bad_documents_are_422(api):
    admin = api.as_(*ADMIN)
    current = (await api.client.get("/v1/admin/config", headers=admin)).json()
    document = current["config"]
    document["calendars"]["nordics"]["timezone"] = "Mars/Olympus_Mons"
    bad = await api.client.put("/v1/admin/config", json=document, headers=admin)
    assert bad.status_code == 422
    assert bad.headers["content-type"] == PROBLEM
    assert "Mars/Olympus_Mons" in bad.text
    document["calendars"]["nordics"]["timezone"] = "Europe/Copenhagen"
    good = await api.client.put("/v1/admin/config", json=document, headers=admin)
    assert good.json()["version"] == current["version"] + 1
    after = (await api.client.get("/v1/admin/config", headers=admin)).json()
    assert after["config"]["calendars"]["nordics"]["timezone"] == "Europe/Copenhagen"
    refused = await api.client.put("/v1/admin/config", json=document, headers=api.as_(*NORA))
    assert refused.status_code == 403


async def test_health_and_the_asyncapi_document_are_served(api):
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    document = (await api.client.get("/asyncapi.json")).json()
    actions = {
        (operation["action"], operation["channel"]["$ref"].rsplit("/", 1)[-1])
        for operation in document["operations"].values()
    }
    assert any(action == "send" and "sla" in channel for action, channel in actions)
    assert any(action == "receive" and "cases" in channel for action, channel in actions)
