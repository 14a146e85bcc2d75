"""The agents of an end-to-end benchmark: hired into the demo world's regions, available, and
working the offers routing makes them, as a desktop would: accept after a short think (or
now and then decline, or let the offer expire), reply, resolve after a handle time, finish
wrap-up. They learn of offers from the assignments topic and act over HTTP on the
benchmark's light keep-alive connections.

Shared by the end-to-end benchmarks (each runs as a script, so this directory is on
``sys.path``).
"""

from __future__ import annotations

import asyncio
import json
import math
import random
from collections import Counter
from datetime import timedelta

from load import HttpClient

from switchboard.servicekit.auth import Role, TokenVerifier
from switchboard.simulator.scenario import REGIONS, SPOKEN

CAPACITY = {"phone": 1, "chat": 3, "email": 5, "social": 3}
THINK_SECONDS = (0.2, 1.2)
HANDLE_MEDIAN_SECONDS = 4.0
WRAP_UP_SECONDS = 0.5
DECLINE_SHARE = 0.05
IGNORE_SHARE = 0.02
"""Offers left to expire (the demo policies' offer time-out): routing sets the agent away."""
BACK_AFTER_AWAY_SECONDS = 3.0


def agents_needed(rate: float, share: float) -> int:
    """Enough agents for the average rate of a region, not for its peak: queues form there.
    Each case holds a slot for the think, the handle time and wrap-up; an agent has about
    four slots when it takes mixed work (the phone blocks the rest)."""
    busy_seconds = sum(THINK_SECONDS) / 2 + HANDLE_MEDIAN_SECONDS * math.exp(0.5**2 / 2) + 1.0
    return max(2, math.ceil(rate * share * busy_seconds / 4.0))


class Workforce:
    def __init__(self, routing: HttpClient, tokens: TokenVerifier, seed: int) -> None:
        self.routing = routing
        self.tokens = tokens
        self.rng = random.Random(seed)
        self.auth: dict[str, dict[str, str]] = {}
        self.admin = self._bearer("bench-admin", Role.ADMIN)
        self.actions = Counter[str]()
        self.failures = Counter[str]()
        self.busy: set[asyncio.Task[None]] = set()

    def _bearer(self, subject: str, role: Role = Role.AGENT) -> dict[str, str]:
        token = self.tokens.issue(subject=subject, role=role, ttl=timedelta(hours=6))
        return {"authorization": f"Bearer {token}"}

    async def hire(self, rate: float, run_id: str) -> int:
        """Agents for every region, sized for ``rate`` contacts per second; all available."""
        profiles = {}
        for region in REGIONS:
            for index in range(agents_needed(rate, region.share)):
                languages = list(SPOKEN[region.name])
                if region.name == "nordics" and index % 4 == 0:
                    languages.append("fi")
                agent_id = f"bench-{region.name}-{index}-{run_id}"
                profiles[agent_id] = {
                    "region": region.name,
                    "team": f"{region.name}-bench",
                    "skills": {"support": 6 + index % 4, "billing": 7 if index % 3 == 0 else 3},
                    "languages": languages,
                    "capacity": CAPACITY,
                }
        for agent_id, profile in profiles.items():
            await self._expect("hire", "PUT", f"/v1/agents/{agent_id}", profile, self.admin)
            self.auth[agent_id] = self._bearer(agent_id)
        for agent_id in profiles:
            await self.available(agent_id)
        return len(profiles)

    async def available(self, agent_id: str) -> None:
        await self._expect(
            "presence",
            "PUT",
            f"/v1/agents/{agent_id}/presence",
            {"presence": "available"},
            self.auth[agent_id],
        )

    def offered(self, case_id: str, agent_id: str) -> None:
        """An offer seen on Kafka: work it in the background."""
        if agent_id not in self.auth:
            return
        task = asyncio.create_task(self._work(case_id, agent_id))
        self.busy.add(task)
        task.add_done_callback(self.busy.discard)

    def expired(self, agent_id: str) -> None:
        """Routing set the agent away for a missed offer: back after a moment."""
        if agent_id in self.auth:
            task = asyncio.create_task(self._come_back(agent_id))
            self.busy.add(task)
            task.add_done_callback(self.busy.discard)

    async def _come_back(self, agent_id: str) -> None:
        await asyncio.sleep(BACK_AFTER_AWAY_SECONDS)
        await self.available(agent_id)

    async def _work(self, case_id: str, agent_id: str) -> None:
        auth = self.auth[agent_id]
        choice = self.rng.random()
        if choice < IGNORE_SHARE:
            self.actions["ignored"] += 1
            return
        await asyncio.sleep(self.rng.uniform(*THINK_SECONDS))
        path = f"/v1/cases/{case_id}"
        if choice < IGNORE_SHARE + DECLINE_SHARE:
            await self._expect("decline", "POST", f"{path}/decline", {"reason": "busy"}, auth)
            return
        if not await self._expect("accept", "POST", f"{path}/accept", None, auth):
            return
        handle = self.rng.lognormvariate(math.log(HANDLE_MEDIAN_SECONDS), 0.5)
        await asyncio.sleep(min(handle / 3, 1.0))
        reply = {"message_id": f"reply-{case_id}"}
        await self._expect("reply", "POST", f"{path}/replies", reply, auth)
        await asyncio.sleep(max(handle - min(handle / 3, 1.0), 0.0))
        resolution = {"resolution_code": "resolved"}
        if await self._expect("resolve", "POST", f"{path}/resolve", resolution, auth):
            await asyncio.sleep(WRAP_UP_SECONDS)
            await self._expect("wrap-up", "POST", f"{path}/wrap-up/finish", None, auth)

    async def _expect(
        self, action: str, method: str, path: str, payload: object, auth: dict[str, str]
    ) -> bool:
        """Send; count the action, or the failure by action and status (a 409 when the case
        moved on meanwhile is a fact of life, not an error)."""
        try:
            if method == "POST":
                status, _ = await self.routing.post_json(path, payload, headers=auth)
            else:
                body = json.dumps(payload).encode()
                headers = {"content-type": "application/json", **auth}
                status, _ = await self.routing.send(method, path, body=body, headers=headers)
        except Exception as error:  # counted, the benchmark reports them
            self.failures[f"{action}: {type(error).__name__}"] += 1
            return False
        if 200 <= status < 300:
            self.actions[action] += 1
            return True
        self.failures[f"{action}: {status}"] += 1
        return False

    async def drain(self, timeout: float) -> None:
        if self.busy:
            await asyncio.wait(set(self.busy), timeout=timeout)
