"""Posting to intake as a channel adapter: contacts (typed, or raw RFC 5322 mail) and
delivery reports, each signed with the adapter's secret. Intake's refusals become
``IntakeRefused`` with its problem+json; a 429 or 503 says when to try again
(``retry_after``) — retry with the same ``webhook_id`` and intake takes it once."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, Self

import httpx
from pydantic import BaseModel

from switchboard.adapter_client.contacts import (
    Accepted,
    Contact,
    DeliveryState,
    IgnoredEmail,
)
from switchboard.adapter_client.signing import signed_headers


class IntakeRefused(Exception):
    """Intake answered with a problem (RFC 9457) instead of taking the request."""

    def __init__(self, status: int, problem: dict[str, Any], retry_after: float | None) -> None:
        self.status = status
        self.problem = problem
        self.retry_after = retry_after
        """Seconds to wait before retrying (a 429 or 503); None when retrying will not help."""
        super().__init__(f"{status} {problem.get('title', '')}: {problem.get('detail', '')}")

    @property
    def errors(self) -> list[dict[str, Any]]:
        """Which fields were wrong and why (a 422)."""
        return list(self.problem.get("errors") or [])


class DeliveryRecorded(BaseModel):
    reply_id: str
    delivery: str
    """The message's state after the report (a late report does not move it back)."""


class AdapterClient:
    """One adapter's client: ``async with AdapterClient(url, adapter_id, secret) as intake``."""

    def __init__(
        self,
        base_url: str,
        adapter_id: str,
        secret: str,
        *,
        timeout: float = 10.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.adapter_id = adapter_id
        self._secret = secret
        self._http = http or httpx.AsyncClient(base_url=base_url, timeout=timeout)
        self._owns_http = http is None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    def use_secret(self, secret: str) -> None:
        """After ``rotate-secret``: sign with the new one (the old stays valid a while)."""
        self._secret = secret

    async def post_contact(self, contact: Contact, *, webhook_id: str | None = None) -> Accepted:
        """A contact to its channel's endpoint. ``webhook_id``: your id of the message (a
        provider's message id, say), so that retries make one contact."""
        body = contact.model_dump_json(exclude_none=True, by_alias=True).encode()
        answer = await self._post(
            f"contacts/{contact.channel}", body, "application/json", webhook_id
        )
        return Accepted.model_validate(answer)

    async def post_raw_email(
        self, message: bytes, *, webhook_id: str | None = None
    ) -> Accepted | IgnoredEmail:
        """A whole RFC 5322 message as the mail server gave it; an auto-reply or a bounce is
        taken as ``IgnoredEmail`` (a bounce of a reply intake sent fails that reply)."""
        answer = await self._post("contacts/email", message, "message/rfc822", webhook_id)
        if "case_id" in answer:
            return Accepted.model_validate(answer)
        return IgnoredEmail.model_validate(answer)

    async def report_delivery(
        self,
        delivery_id: str,
        state: DeliveryState,
        *,
        at: datetime | None = None,
        reason: str | None = None,
    ) -> DeliveryRecorded:
        """How far an outbound message got (``OutboundDocument.delivery_id``)."""
        report: dict[str, Any] = {"reply_id": delivery_id, "state": state}
        if at is not None:
            report["at"] = at.isoformat()
        if reason is not None:
            report["reason"] = reason
        body = json.dumps(report).encode()
        answer = await self._post("deliveries", body, "application/json", None)
        return DeliveryRecorded.model_validate(answer)

    async def _post(
        self, path: str, body: bytes, content_type: str, webhook_id: str | None
    ) -> dict[str, Any]:
        headers = signed_headers(
            self._secret, body, webhook_id=webhook_id or f"msg_{uuid.uuid4().hex}"
        )
        response = await self._http.post(
            f"/v1/adapters/{self.adapter_id}/{path}",
            content=body,
            headers={"content-type": content_type, **headers},
        )
        if response.is_success:
            found: dict[str, Any] = response.json()
            return found
        raise _refused(response)


def _refused(response: httpx.Response) -> IntakeRefused:
    try:
        problem = response.json()
    except ValueError:
        problem = {"title": response.reason_phrase, "detail": response.text[:500]}
    if not isinstance(problem, dict):
        problem = {"detail": str(problem)[:500]}
    wait = response.headers.get("Retry-After", "")
    retry_after = float(wait) if wait.isdigit() else None
    if retry_after is None and response.status_code in (429, 503):
        retry_after = 1.0
    return IntakeRefused(response.status_code, problem, retry_after)
