"""The calls behind ``switchboard-gdpr``: each service's export gathered into one document,
and intake's erasure followed until the four services confirmed it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import httpx

SERVICES = ("intake", "routing", "escalation", "feedback")


class Refused(RuntimeError):
    """A service answered something else than the data asked for."""


async def export_customer(
    http: httpx.AsyncClient, urls: Mapping[str, str], token: str, customer_id: str
) -> dict[str, Any]:
    """Everything the four services hold of the customer, one section per service."""
    answers = await asyncio.gather(
        *(
            http.get(f"{urls[s]}/v1/customers/{customer_id}/export", headers=_bearer(token))
            for s in SERVICES
        )
    )
    services = {}
    for service, answer in zip(SERVICES, answers, strict=True):
        if answer.status_code != 200:
            raise Refused(f"{service} answered {answer.status_code}: {answer.text[:300]}")
        services[service] = answer.json()["tables"]
    return {"customer_id": customer_id, "services": services}


async def erase_customer(
    http: httpx.AsyncClient, intake_url: str, token: str, customer_id: str, *, wait: float
) -> dict[str, Any]:
    """Ask intake to erase the customer; its status once complete, or as it stands after
    ``wait`` seconds."""
    url = f"{intake_url}/v1/customers/{customer_id}/erasure"
    answer = await http.post(url, headers=_bearer(token))
    deadline = time.monotonic() + wait
    while True:
        if answer.status_code not in (200, 202):
            raise Refused(f"intake answered {answer.status_code}: {answer.text[:300]}")
        status: dict[str, Any] = answer.json()
        if status["complete"] or time.monotonic() >= deadline:
            return status
        await asyncio.sleep(0.5)
        answer = await http.get(url, headers=_bearer(token))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
