"""Staffing alerts in-process on SQLite: routing's shortfall alerts the pool's region's
coordinators (event, webhooks), once while it lasts; recovery resolves it; only a
coordinator of the region (or an admin) acknowledges, and others get a problem."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from switchboard.contracts.events import (
    StaffingAlertAcknowledged,
    StaffingAlertRaised,
    StaffingAlertResolved,
    StaffingRecovered,
    StaffingShortfall,
)
from switchboard.escalation.entrypoints.app import HTTP_API
from switchboard.servicekit.auth import Role
from switchboard.servicekit.service import service_app
from switchboard.servicekit.tables import deliveries

from ..conftest import Stack

pytestmark = pytest.mark.timeout(60)
PROBLEM = "application/problem+json"
NORA = ("nora", Role.COORDINATOR, "nordics")
CAMILLE = ("camille", Role.COORDINATOR, "france")
AGENT = ("agent-7", Role.AGENT, "nordics")
ADMIN = ("root", Role.ADMIN)


def staffing(kind: type, *, at: datetime, pool: str = "nordics/billing", **changes: Any) -> Any:
    fields: dict[str, Any] = {
        "pool": pool,
        "region": pool.partition("/")[0],
        "department": pool.partition("/")[2] or None,
        "interval_start": at - timedelta(minutes=15),
        "interval_seconds": 900,
        "arrivals": 50,
        "average_handle_seconds": 180,
        "load_erlangs": 10,
        "target_share": 0.8,
        "target_answer_seconds": 20,
        "agents_required": 14,
        "agents_available": 11,
        "expected_service_level": 0.0,
        "assessed_at": at,
    }
    return kind(**(fields | changes))


class Api:
    def __init__(self, stack: Stack, client: httpx.AsyncClient) -> None:
        self.stack = stack
        self.client = client

    def as_(self, subject: str, role: Role, *regions: str) -> dict[str, str]:
        tokens = self.stack.service.service.tokens
        token = tokens.issue(subject=subject, role=role, regions=list(regions))
        return {"authorization": f"Bearer {token}"}

    async def alerts(self, who: tuple[Any, ...], query: str = "") -> list[dict[str, Any]]:
        response = await self.client.get(f"/v1/staffing-alerts{query}", headers=self.as_(*who))
        assert response.status_code == 200, response.text
        return list(response.json())

    async def acknowledge(self, alert_id: str, who: tuple[Any, ...]) -> httpx.Response:
        return await self.client.post(
            f"/v1/staffing-alerts/{alert_id}/acknowledge",
            json={"note": "calling in two from the evening shift"},
            headers=self.as_(*who),
        )


@pytest.fixture
async def api(stack: Stack) -> AsyncIterator[Api]:
    transport = httpx.ASGITransport(app=service_app(stack.service.service, HTTP_API))
    async with httpx.AsyncClient(transport=transport, base_url="http://escalation") as client:
        yield Api(stack, client)


async def test_a_shortfall_alerts_the_regions_coordinators_once_and_recovery_resolves_it(stack):
    at = stack.clock.at
    shortfall_id = await stack.deliver(staffing(StaffingShortfall, at=at))
    await stack.deliver(
        staffing(StaffingShortfall, at=at + timedelta(minutes=15), agents_available=9)
    )

    (raised,) = await stack.events(StaffingAlertRaised)
    assert (raised.pool, raised.region, raised.department, raised.shortfall_event_id) == (
        "nordics/billing",
        "nordics",
        "billing",
        shortfall_id,
    )
    assert (raised.agents_required, raised.agents_available) == (14, 11)
    assert sorted(t.id for t in raised.targets) == ["magnus", "nora"]
    async with stack.sessions() as session:
        webhooks = (await session.execute(select(deliveries))).all()
    assert sorted(d.recipient for d in webhooks) == ["magnus", "nora"]
    assert {d.event_type for d in webhooks} == {StaffingAlertRaised.event_type}

    recovered_id = await stack.deliver(
        staffing(StaffingRecovered, at=at + timedelta(minutes=30), agents_available=15)
    )
    await stack.deliver(staffing(StaffingRecovered, at=at + timedelta(minutes=45)))
    (resolved,) = await stack.events(StaffingAlertResolved)
    assert (resolved.alert_id, resolved.reason, resolved.recovered_event_id) == (
        raised.alert_id,
        "recovered",
        recovered_id,
    )
    assert resolved.agents_available == 15

    await stack.deliver(staffing(StaffingShortfall, at=at + timedelta(hours=1)))
    assert len(await stack.events(StaffingAlertRaised)) == 2


async def test_a_pool_short_in_a_region_nobody_covers_is_alerted_to_nobody(stack):
    await stack.deliver(staffing(StaffingShortfall, at=stack.clock.at, pool="atlantis"))
    (raised,) = await stack.events(StaffingAlertRaised)
    assert (raised.pool, raised.department, raised.targets) == ("atlantis", None, ())


async def test_coordinators_list_their_regions_alerts_and_the_figures_follow_routing(api):
    at = api.stack.clock.at
    await api.stack.deliver(staffing(StaffingShortfall, at=at))
    await api.stack.deliver(staffing(StaffingShortfall, at=at, pool="france/sales"))
    await api.stack.deliver(
        staffing(StaffingShortfall, at=at + timedelta(minutes=15), agents_available=9)
    )

    (nordic,) = await api.alerts(NORA)
    assert (nordic["pool"], nordic["status"], nordic["agents_required"]) == (
        "nordics/billing",
        "raised",
        14,
    )
    assert nordic["agents_available"] == 9  # the newer reckoning, still one alert
    assert [a["pool"] for a in await api.alerts(CAMILLE)] == ["france/sales"]
    assert len(await api.alerts(ADMIN)) == 2
    assert await api.alerts(NORA, "?status=resolved") == []

    agent = await api.client.get("/v1/staffing-alerts", headers=api.as_(*AGENT))
    assert (agent.status_code, agent.headers["content-type"]) == (403, PROBLEM)


async def test_only_a_coordinator_of_the_region_acknowledges_and_only_once(api):
    await api.stack.deliver(staffing(StaffingShortfall, at=api.stack.clock.at))
    (alert,) = await api.alerts(NORA)
    alert_id = alert["alert_id"]

    for who in (CAMILLE, AGENT):
        refused = await api.acknowledge(alert_id, who)
        assert (refused.status_code, refused.headers["content-type"]) == (403, PROBLEM)
    missing = await api.acknowledge("no-such-alert", NORA)
    assert (missing.status_code, missing.headers["content-type"]) == (404, PROBLEM)

    taken = await api.acknowledge(alert_id, NORA)
    assert taken.status_code == 200, taken.text
    assert (taken.json()["status"], taken.json()["acknowledged_by"]) == ("acknowledged", "nora")
    assert taken.json()["note"] == "calling in two from the evening shift"
    (event,) = await api.stack.events(StaffingAlertAcknowledged)
    assert (event.alert_id, event.by.id, event.pool) == (alert_id, "nora", "nordics/billing")

    again = await api.acknowledge(alert_id, ADMIN)
    assert (again.status_code, again.headers["content-type"]) == (409, PROBLEM)

    await api.stack.deliver(staffing(StaffingRecovered, at=api.stack.clock.at))
    assert await api.alerts(NORA) == []
    (closed,) = await api.alerts(NORA, "?status=resolved")
    assert (closed["status"], closed["acknowledged_by"]) == ("resolved", "nora")
