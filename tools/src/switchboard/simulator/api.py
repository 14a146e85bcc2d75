"""The services' public HTTP APIs, as an admin, an agent, a channel adapter and a customer
call them. Tokens are minted with the shared JWT secret, like servicekit's token CLI."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from switchboard.servicekit.auth import TokenVerifier
from switchboard.simulator.channels import Adapter, Payload, encode, signed_headers

ADMIN = "simulator-admin"
TOKEN_TTL = timedelta(hours=12)


@dataclass(frozen=True)
class Urls:
    intake: str = "http://127.0.0.1:8001"
    routing: str = "http://127.0.0.1:8002"
    escalation: str = "http://127.0.0.1:8003"
    feedback: str = "http://127.0.0.1:8004"


class PlatformError(RuntimeError):
    """A service refused what the simulator asked (not a transient failure)."""


class Platform:
    def __init__(self, urls: Urls, jwt_secret: str, audience: str = "switchboard") -> None:
        self.urls = urls
        self.http = httpx.AsyncClient(timeout=10.0, limits=httpx.Limits(max_connections=64))
        self._issuer = TokenVerifier(jwt_secret, audience)
        self._tokens: dict[tuple[str, str, tuple[str, ...]], dict[str, str]] = {}

    async def close(self) -> None:
        await self.http.aclose()

    def auth(
        self, subject: str, role: str = "agent", regions: tuple[str, ...] = ()
    ) -> dict[str, str]:
        key = (subject, role, regions)
        if key not in self._tokens:
            token = self._issuer.issue(subject=subject, role=role, regions=regions, ttl=TOKEN_TTL)
            self._tokens[key] = {"Authorization": f"Bearer {token}"}
        return self._tokens[key]

    async def ready(self) -> list[str]:
        """The services that do not answer ``/readyz`` with 200."""
        missing = []
        for name, url in vars(self.urls).items():
            try:
                if (await self.http.get(f"{url}/readyz")).status_code != 200:
                    missing.append(name)
            except httpx.TransportError:
                missing.append(name)
        return missing

    # -- set-up (admin) -------------------------------------------------------------------

    async def register_adapter(
        self, adapter_id: str, channel: str, region: str, outbound_url: str | None = None
    ) -> Adapter:
        body = {"id": adapter_id, "channel": channel, "region": region}
        if outbound_url is not None:
            body["outbound_url"] = outbound_url
        response = await self.http.post(
            f"{self.urls.intake}/v1/admin/adapters", json=body, headers=self.auth(ADMIN, "admin")
        )
        _expect(response, 201)
        return Adapter(adapter_id, channel, region, response.json()["secret"])

    async def hire(self, agent_id: str, profile: dict[str, object]) -> None:
        response = await self.http.put(
            f"{self.urls.routing}/v1/agents/{agent_id}",
            json=profile,
            headers=self.auth(ADMIN, "admin"),
        )
        _expect(response, 200)

    async def mark_vip(self, customer_id: str) -> None:
        response = await self.http.patch(
            f"{self.urls.intake}/v1/admin/customers/{customer_id}",
            json={"vip": True, "tier": "vip"},
            headers=self.auth(ADMIN, "admin"),
        )
        _expect(response, 200)

    # -- a channel adapter ----------------------------------------------------------------

    async def post_contact(self, adapter: Adapter, payload: Payload) -> httpx.Response:
        """Signed like the adapter signs; a 429 or a dropped connection is retried with the
        same webhook id, which intake answers idempotently."""
        return await self._signed_post(
            adapter, adapter.path, payload, f"a {adapter.channel} contact"
        )

    async def report_delivery(
        self, adapter: Adapter, reply_id: str, state: str, reason: str | None = None
    ) -> httpx.Response:
        """How far an outbound message got (sent, delivered, read, failed), signed like a
        contact: ``POST /v1/adapters/{id}/deliveries``."""
        report: Payload = {"reply_id": reply_id, "state": state}
        if reason is not None:
            report["reason"] = reason
        path = f"/v1/adapters/{adapter.id}/deliveries"
        return await self._signed_post(adapter, path, report, f"a {state} report")

    async def _signed_post(
        self, adapter: Adapter, path: str, payload: Payload, what: str
    ) -> httpx.Response:
        body = encode(payload)
        headers = signed_headers(adapter.secret, body)
        for attempt in range(5):
            try:
                response = await self.http.post(
                    f"{self.urls.intake}{path}", content=body, headers=headers
                )
            except httpx.TransportError:
                await asyncio.sleep(0.2 * (attempt + 1))
                continue
            if response.status_code != 429:
                return response
            await asyncio.sleep(_retry_after(response))
        raise PlatformError(f"intake did not accept {what} after 5 tries")

    # -- an agent -------------------------------------------------------------------------

    async def presence(self, agent_id: str, presence: str) -> None:
        response = await self.http.put(
            f"{self.urls.routing}/v1/agents/{agent_id}/presence",
            json={"presence": presence},
            headers=self.auth(agent_id),
        )
        _expect(response, 200)

    async def act(
        self, agent_id: str, case_id: str, action: str, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        return await self.http.post(
            f"{self.urls.routing}/v1/cases/{case_id}/{action}",
            json=body,
            headers=self.auth(agent_id),
        )

    async def reply(self, agent_id: str, case_id: str, body: dict[str, Any]) -> httpx.Response:
        """The agent holding the case answers the customer through intake, which sends it
        through the case's channel adapter."""
        return await self.http.post(
            f"{self.urls.intake}/v1/cases/{case_id}/replies",
            json=body,
            headers=self.auth(agent_id),
        )

    # -- a coordinator --------------------------------------------------------------------

    async def acknowledge(
        self, coordinator: str, region: str, escalation_id: str, note: str
    ) -> httpx.Response:
        """``coordinator`` of ``region`` takes the escalation (a 409 when it moved on)."""
        return await self.http.post(
            f"{self.urls.escalation}/v1/escalations/{escalation_id}/acknowledge",
            json={"note": note},
            headers=self.auth(coordinator, "coordinator", (region,)),
        )

    # -- a customer -----------------------------------------------------------------------

    async def answer_survey(self, link: str, answer: dict[str, object]) -> httpx.Response:
        """The survey link's path, posted to our feedback URL (the link's host is whatever
        feedback's PUBLIC_BASE_URL says; the simulator only talks to loopback)."""
        url = f"{self.urls.feedback}{urlsplit(link).path}"
        for _ in range(20):
            response = await self.http.post(url, json=answer)
            if response.status_code != 429:
                return response
            await asyncio.sleep(_retry_after(response))
        return response

    # -- what the summary shows -----------------------------------------------------------

    async def queues(self) -> list[dict[str, Any]] | None:
        """Routing's queues, or None while the endpoint does not exist (404)."""
        response = await self.http.get(
            f"{self.urls.routing}/v1/queues", headers=self.auth(ADMIN, "admin")
        )
        if response.status_code == 404:
            return None
        _expect(response, 200)
        rows = response.json()
        return rows if isinstance(rows, list) else None

    async def open_escalations(self) -> list[dict[str, Any]]:
        response = await self.http.get(
            f"{self.urls.escalation}/v1/escalations",
            params={"status": "open", "limit": 500},
            headers=self.auth(ADMIN, "admin"),
        )
        _expect(response, 200)
        rows = response.json()
        return rows if isinstance(rows, list) else []

    async def kpis(self) -> dict[str, Any]:
        response = await self.http.get(
            f"{self.urls.feedback}/kpis",
            params={"region": "*", "period": "day"},
            headers=self.auth(ADMIN, "admin"),
        )
        _expect(response, 200)
        total = response.json().get("total", {})
        return total if isinstance(total, dict) else {}


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(30.0, max(0.2, float(response.headers.get("retry-after", "1"))))
    except ValueError:
        return 1.0


def _expect(response: httpx.Response, status: int) -> None:
    if response.status_code != status:
        raise PlatformError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:300]}"
        )
