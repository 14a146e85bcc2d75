"""The services' public HTTP APIs, as an admin, an agent, a channel adapter and a customer
call them. Tokens are minted with the shared JWT secret, like servicekit's token CLI."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from switchboard.servicekit.auth import TokenVerifier
from switchboard.simulator.channels import Adapter, Payload, encode, signed_headers

ADMIN = "simulator-admin"
TOKEN_TTL = timedelta(hours=12)
RETRY_FOR_SECONDS = 120.0
"""How long a call is tried again while a service is restarting (connection refused) or a
dependency of it is down (503 with Retry-After): longer than a restart takes."""


@dataclass(frozen=True)
class Call:
    """One HTTP exchange as the client saw it: a status, or the transport error instead."""

    at: float
    """``time.monotonic()`` when the answer (or the error) came."""
    service: str
    method: str
    path: str
    status: int | None
    error: str | None = None
    retry_after: str | None = None


class RecordingTransport(httpx.AsyncHTTPTransport):
    """Every request's outcome appended to ``calls`` (what a fault test counts as the
    errors clients saw), the service named by its base URL."""

    def __init__(self, services: dict[str, str], calls: list[Call], **options: Any) -> None:
        super().__init__(**options)
        self.services, self.calls = services, calls

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        origin = f"{request.url.scheme}://{request.url.netloc.decode()}"
        service = self.services.get(origin, origin)
        try:
            response = await super().handle_async_request(request)
        except httpx.TransportError as error:
            at = time.monotonic()
            self.calls.append(
                Call(at, service, request.method, request.url.path, None, type(error).__name__)
            )
            raise
        self.calls.append(
            Call(
                time.monotonic(),
                service,
                request.method,
                request.url.path,
                response.status_code,
                retry_after=response.headers.get("retry-after"),
            )
        )
        return response


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
        self.calls: list[Call] = []
        """Every exchange with the services, in order (see ``Call``)."""
        origins = {url.rstrip("/"): name for name, url in vars(urls).items()}
        # Idle connections are dropped before the services' servers drop them (uvicorn:
        # after 5 s): at the same expiry a request races the server's close and fails.
        limits = httpx.Limits(max_connections=64, keepalive_expiry=2.0)
        self.http = httpx.AsyncClient(
            timeout=10.0, transport=RecordingTransport(origins, self.calls, limits=limits)
        )
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
        """Tried again, with the same webhook id and signature, after a dropped connection,
        a 429 or a 503 (a restarting intake, a database down): intake answers a retry of a
        message it took with the original answer (``duplicate``), so nothing counts twice."""
        body = encode(payload)
        headers = signed_headers(adapter.secret, body)
        url = f"{self.urls.intake}{path}"
        return await _retrying(
            lambda: self.http.post(url, content=body, headers=headers),
            what=f"intake did not accept {what}",
            any_transport_error=True,
        )

    # -- an agent -------------------------------------------------------------------------

    async def presence(self, agent_id: str, presence: str) -> None:
        url = f"{self.urls.routing}/v1/agents/{agent_id}/presence"
        response = await _retrying(
            lambda: self.http.put(url, json={"presence": presence}, headers=self.auth(agent_id)),
            what=f"routing did not take {agent_id}'s presence",
            any_transport_error=True,  # a PUT: the same state again
        )
        _expect(response, 200)

    async def act(
        self, agent_id: str, case_id: str, action: str, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        url = f"{self.urls.routing}/v1/cases/{case_id}/{action}"
        return await _retrying(
            lambda: self.http.post(url, json=body, headers=self.auth(agent_id)),
            what=f"routing did not take {action} on {case_id}",
        )

    async def reply(self, agent_id: str, case_id: str, body: dict[str, Any]) -> httpx.Response:
        """The agent holding the case answers the customer through intake, which sends it
        through the case's channel adapter."""
        url = f"{self.urls.intake}/v1/cases/{case_id}/replies"
        return await _retrying(
            lambda: self.http.post(url, json=body, headers=self.auth(agent_id)),
            what=f"intake did not take the reply on {case_id}",
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


async def _retrying(
    send: Callable[[], Awaitable[httpx.Response]],
    *,
    what: str,
    any_transport_error: bool = False,
    within: float = RETRY_FOR_SECONDS,
) -> httpx.Response:
    """``send()`` until it is answered other than 429 or 503, for at most ``within`` seconds.
    A refused connection (nothing was sent) is always tried again; any other transport error
    only when ``any_transport_error`` (the request is idempotent)."""
    deadline = time.monotonic() + within
    pause = 0.2
    while True:
        try:
            response = await send()
        except httpx.TransportError as error:
            retry = any_transport_error or isinstance(error, httpx.ConnectError)
            if not retry or time.monotonic() > deadline:
                raise
            await asyncio.sleep(pause)
            pause = min(2.0, pause * 1.5)
            continue
        if response.status_code not in (429, 503):
            return response
        if time.monotonic() > deadline:
            raise PlatformError(f"{what}: {response.status_code} for {within:.0f} s")
        await asyncio.sleep(_retry_after(response))


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
