"""Routing's HTTP API with single sign-on: a provider on loopback serves its discovery
document and JWKS; its tokens, with the role, regions and agent id in nested claims, are
callers of routing's role- and region-protected routes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from switchboard.routing.bootstrap import DEFINITION
from switchboard.routing.entrypoints.app import HTTP_API
from switchboard.servicekit.service import service_app
from switchboard.servicekit.testing.in_process import InProcessService
from switchboard.servicekit.testing.oidc_provider import LocalProvider, running_provider


@pytest.fixture
def provider() -> Iterator[LocalProvider]:
    with running_provider("ES256") as provider:
        provider.audience = "routing-api"
        yield provider


@pytest.fixture
async def routing(tmp_path, provider: LocalProvider) -> AsyncIterator[httpx.AsyncClient]:
    service = await InProcessService.start(
        DEFINITION,
        tmp_path,
        replica_name="routing-sso",
        environment="test",
        oidc_issuer=provider.issuer,
        oidc_audience="routing-api",
        oidc_subject_claim="preferred_username",
        oidc_roles_claim="realm_access.roles",
        oidc_regions_claim="switchboard.regions",
        oidc_role_names={
            "sb-admins": "admin",
            "sb-coordinators": "coordinator",
            "sb-agents": "agent",
        },
    )
    app = service_app(service.service, HTTP_API)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://routing.test"
    ) as client:
        yield client
    await service.close()


def bearer(
    provider: LocalProvider, user: str, roles: list[str], regions: list[str] | None = None
) -> dict[str, str]:
    claims: dict[str, Any] = {
        "sub": f"uuid-of-{user}",
        "preferred_username": user,
        "realm_access": {"roles": ["offline_access", *roles]},
    }
    if regions is not None:
        claims["switchboard"] = {"regions": regions}
    return {"Authorization": f"Bearer {provider.token(**claims)}"}


PROFILE = {"region": "nordics", "languages": ["da", "en"]}


async def test_an_admin_from_the_provider_hires_and_an_agent_may_not(routing, provider):
    admin = bearer(provider, "ada", ["sb-admins"])
    hired = await routing.put("/v1/agents/a1", json=PROFILE, headers=admin)
    assert hired.status_code == 200, hired.text
    assert provider.jwks_requests == 1

    agent = bearer(provider, "a1", ["sb-agents"])
    refused = await routing.put("/v1/agents/a2", json=PROFILE, headers=agent)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["detail"] == "this needs the admin role"

    # the agent id comes from preferred_username: a1 may act for a1 only
    available = {"presence": "available"}
    mine = await routing.put("/v1/agents/a1/presence", json=available, headers=agent)
    assert (mine.status_code, mine.json()["presence"]) == (200, "available")
    other = bearer(provider, "a2", ["sb-agents"])
    theirs = await routing.put("/v1/agents/a1/presence", json=available, headers=other)
    assert theirs.status_code == 403


async def test_a_coordinators_regions_come_from_the_nested_claim(routing, provider):
    admin = bearer(provider, "ada", ["sb-admins"])
    assert (await routing.put("/v1/agents/a1", json=PROFILE, headers=admin)).status_code == 200
    nordics = bearer(provider, "cora", ["sb-coordinators"], ["nordics"])
    dach = bearer(provider, "dirk", ["sb-coordinators"], ["dach"])
    assert (await routing.get("/v1/agents/a1", headers=nordics)).status_code == 200
    assert (await routing.get("/v1/agents/a1", headers=dach)).status_code == 403


async def test_a_token_without_a_switchboard_role_or_from_elsewhere_is_refused(routing, provider):
    no_role = await routing.get("/v1/agents/a1", headers=bearer(provider, "eve", []))
    assert no_role.status_code == 403
    assert "holds no Switchboard role" in no_role.json()["detail"]

    provider.audience = "another-client"
    wrong_audience = await routing.get("/v1/agents/a1", headers=bearer(provider, "ada", ["admin"]))
    assert wrong_audience.status_code == 401
    assert wrong_audience.json()["detail"] == "invalid bearer token: Audience doesn't match"
