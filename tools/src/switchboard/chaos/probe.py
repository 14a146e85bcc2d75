"""The probe: a contact of its own posted after each fault, and how long until routing
offered it to an agent — "a new contact is routed within seconds". Its agent takes and
resolves whatever it is offered at once (the day's other cases too, like any agent)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import AgentStatusChanged, CaseOffered
from switchboard.simulator.api import Platform, PlatformError
from switchboard.simulator.channels import Adapter

MESSAGE = "Hello, my parcel has still not arrived. Could you please tell me where it is?"
CAPACITY = {"chat": 3}


class Probe:
    def __init__(self, api: Platform, run_id: str, region: str) -> None:
        self.api, self.region = api, region
        self.agent_id = f"chaos-probe-{run_id}"
        self.adapter_id = f"chaos-probe-{run_id}-chat"
        self.adapter: Adapter | None = None
        self.offered: dict[str, float] = {}
        """Case id → when it was first offered to anyone (monotonic)."""
        self.accepted: list[str] = []
        """Case ids of the probe's contacts intake accepted."""
        self.errors: list[str] = []
        self._work: set[asyncio.Task[None]] = set()

    async def set_up(self) -> None:
        self.adapter = await self.api.register_adapter(self.adapter_id, "chat", self.region)
        profile: dict[str, object] = {
            "region": self.region,
            "team": "chaos-probe",
            "skills": {"support": 9, "billing": 9},
            "languages": ["en"],
            "capacity": CAPACITY,
        }
        await self.api.hire(self.agent_id, profile)
        await self.api.presence(self.agent_id, "available")

    def handle(self, envelope: Envelope[Any]) -> None:
        event = envelope.data
        if isinstance(event, CaseOffered):
            self.offered.setdefault(event.case_id, time.monotonic())
            if event.agent_id == self.agent_id:
                self._spawn(self._take(event.case_id))
        elif (
            isinstance(event, AgentStatusChanged)
            and event.agent_id == self.agent_id
            and event.presence.value in ("away", "offline")  # an offer it missed expired
        ):
            self._spawn(self._back())

    async def routed_after(self, timeout: float) -> float | None:
        """Post a contact now; seconds until it was offered (None: not within ``timeout``)."""
        assert self.adapter is not None, "set_up() first"
        began = time.monotonic()
        token = uuid.uuid4().hex
        payload = {
            "customer_name": "Pat Probe",
            "sent_at": datetime.now(UTC).isoformat(),
            "session_id": f"chat-probe-{token}",
            "message_id": "1",
            "visitor": {"id": f"probe-{token}", "name": "Pat Probe"},
            "message": MESSAGE,
        }
        try:
            answer = await self.api.post_contact(self.adapter, payload)
        except (PlatformError, httpx.HTTPError) as error:
            self.errors.append(f"probe contact: {error}")
            return None
        if answer.status_code != 202:
            self.errors.append(f"probe contact: {answer.status_code} {answer.text[:200]}")
            return None
        case_id = str(answer.json()["case_id"])
        self.accepted.append(case_id)
        while case_id not in self.offered:
            if time.monotonic() - began > timeout:
                return None
            await asyncio.sleep(0.1)
        return self.offered[case_id] - began

    async def close(self) -> None:
        for task in list(self._work):
            task.cancel()
        await asyncio.gather(*self._work, return_exceptions=True)
        try:
            await self.api.presence(self.agent_id, "offline")
        except (PlatformError, httpx.HTTPError) as error:
            self.errors.append(f"probe offline: {error}")

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._work.add(task)
        task.add_done_callback(self._work.discard)

    async def _take(self, case_id: str) -> None:
        try:
            for action, body in (
                ("accept", None),
                ("resolve", {"resolution_code": "resolved"}),
                ("wrap-up/finish", None),
            ):
                answer = await self.api.act(self.agent_id, case_id, action, body)
                if answer.status_code != 200:
                    if answer.status_code >= 500:
                        self.errors.append(f"probe {action} {case_id}: {answer.status_code}")
                    return
        except (PlatformError, httpx.HTTPError) as error:
            self.errors.append(f"probe on {case_id}: {error}")

    async def _back(self) -> None:
        await asyncio.sleep(0.5)
        try:
            await self.api.presence(self.agent_id, "available")
        except (PlatformError, httpx.HTTPError) as error:
            self.errors.append(f"probe presence: {error}")
