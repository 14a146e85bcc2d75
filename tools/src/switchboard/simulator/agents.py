"""Agents: on shift they are available; an offer (read from the assignments topic) is
accepted after a short think, answered, worked for a lognormal handle time, and resolved —
or now and then declined or transferred to billing.

Offers come from Kafka rather than from polling ``GET /agents/{id}/work``: a desktop that
is told at once answers within the offer time-out, and forty agents polling twice a second
would put more load on routing than the day itself.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable
from typing import Any

import httpx

from switchboard.simulator.api import Platform, PlatformError
from switchboard.simulator.clock import SimClock, lognormal
from switchboard.simulator.report import DayReport
from switchboard.simulator.scenario import AgentSpec
from switchboard.simulator.texts import REPLIES

HANDLE_MEDIAN_SECONDS = {"phone": 360.0, "chat": 540.0, "email": 720.0, "social": 420.0}
"""Median handle times in simulated seconds; a lognormal with sigma 0.6 around them."""
THINK_MEDIAN_SECONDS = 30.0
REPLY_MEDIAN_SECONDS = 90.0
WRAP_UP_MEDIAN_SECONDS = 45.0
DECLINE_RATE = 0.05
TRANSFER_RATE = 0.05
REPLY_TRIES = 10
REPLY_RETRY_SECONDS = 0.3
"""Real seconds between tries of a reply intake refused because it does not know yet that
the agent holds the case."""
LONGEST_THINK = 6.0
"""Real seconds: stay well inside the offer time-out of the demo policies (15 s)."""
RETURN_AFTER_MISSED_OFFER = 60.0
"""Simulated seconds before an agent set away by an expired offer is back."""


class SimAgent:
    def __init__(
        self,
        spec: AgentSpec,
        *,
        platform: Platform,
        clock: SimClock,
        rng: random.Random,
        report: DayReport,
        replies: dict[str, str],
        languages: dict[str, str] | None = None,
    ) -> None:
        self.spec, self.platform, self.clock, self.rng = spec, platform, clock, rng
        self.report, self.replies = report, replies
        self.languages = languages if languages is not None else {}
        """Case id → the customer's language (what the agent answers in)."""
        self.wanted = "offline"
        self.work: set[asyncio.Task[None]] = set()
        self.handling: set[str] = set()

    @property
    def id(self) -> str:
        return self.spec.id

    async def set_presence(self, presence: str) -> None:
        self.wanted = presence
        await self.platform.presence(self.id, presence)

    def offered(self, case_id: str, channel: str) -> None:
        if case_id in self.handling:
            return
        self.handling.add(case_id)
        task = asyncio.create_task(self._handle(case_id, channel))
        self.work.add(task)
        task.add_done_callback(self.work.discard)

    def presence_changed(self, presence: str) -> None:
        """Routing sets an agent away when an offer expires; they come back shortly."""
        if self.wanted == "available" and presence in ("away", "offline"):
            task = asyncio.create_task(self._come_back())
            self.work.add(task)
            task.add_done_callback(self.work.discard)

    async def _come_back(self) -> None:
        await self.clock.wait(RETURN_AFTER_MISSED_OFFER, at_most=2.0)
        if self.wanted == "available":
            await self.safely(self.set_presence("available"))

    async def _handle(self, case_id: str, channel: str) -> None:
        try:
            await self._work_on(case_id, channel)
        except (PlatformError, httpx.HTTPError) as error:
            self.report.error(f"agent {self.id} on case {case_id}: {error}")
        finally:
            self.handling.discard(case_id)

    async def _work_on(self, case_id: str, channel: str) -> None:
        rng = self.rng
        await self.clock.wait(lognormal(rng, THINK_MEDIAN_SECONDS, 0.5), at_most=LONGEST_THINK)
        if rng.random() < DECLINE_RATE:
            reason = rng.choice(("wrong skill", "about to go on break", "too busy"))
            if (await self._act(case_id, "decline", {"reason": reason})).status_code == 200:
                self.report.offers.declined += 1
            return
        if (await self._act(case_id, "accept")).status_code != 200:
            self.report.offers.lost += 1
            return
        self.report.offers.accepted += 1
        await self.clock.wait(lognormal(rng, REPLY_MEDIAN_SECONDS, 0.5))
        await self._reply(case_id, channel)
        await self.clock.wait(lognormal(rng, HANDLE_MEDIAN_SECONDS[channel], 0.6))
        if rng.random() < TRANSFER_RATE:
            note = "needs a billing specialist"
            body = {"department": "billing", "note": note}
            if (await self._act(case_id, "transfer", body)).status_code == 200:
                self.report.transfers += 1
                return
        if (
            await self._act(case_id, "resolve", {"resolution_code": "resolved"})
        ).status_code != 200:
            return
        self.report.resolutions += 1
        await self.clock.wait(lognormal(rng, WRAP_UP_MEDIAN_SECONDS, 0.4))
        await self._act(case_id, "wrap-up/finish")

    async def _reply(self, case_id: str, channel: str) -> None:
        """On the phone the agent answers by talking (routing's ``/replies`` records it);
        on the written channels through intake, in the customer's language, which sends it
        through the case's adapter. Intake learns who holds the case from routing's events,
        so a reply right after the accept may be refused (403) for a moment: tried again."""
        if channel == "phone":
            message_id = f"<{uuid.uuid4().hex}@agents.switchboard.example>"
            body = {"message_id": message_id}
            if (await self._act(case_id, "replies", body)).status_code == 200:
                self.report.replies += 1
            return
        subject, text = REPLIES.get(self.languages.get(case_id, "en"), REPLIES["en"])
        reply: dict[str, Any] = {"text": text}
        if channel == "email":
            reply["subject"] = subject
        conversation = self.report.conversation
        for _ in range(REPLY_TRIES):
            response = await self.platform.reply(self.id, case_id, reply)
            if response.status_code != 403:
                break
            await asyncio.sleep(REPLY_RETRY_SECONDS)
        if response.status_code == 202:
            self.report.replies += 1
            conversation.replies_sent += 1
            if message_id := response.json().get("message_id"):
                self.replies[case_id] = message_id
        elif response.status_code >= 500:
            self.report.error(f"reply on {case_id} by {self.id}: {response.status_code}")
        else:
            conversation.replies_refused += 1

    async def _act(
        self, case_id: str, action: str, body: dict[str, str] | None = None
    ) -> httpx.Response:
        response = await self.platform.act(self.id, case_id, action, body)
        if response.status_code >= 500:
            self.report.error(f"{action} {case_id} by {self.id}: {response.status_code}")
        return response

    async def safely(self, change: Awaitable[None]) -> None:
        try:
            await change
        except (PlatformError, httpx.HTTPError) as error:
            self.report.error(f"agent {self.id}: {error}")
