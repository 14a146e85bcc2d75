"""Routing's service layer in-process on SQLite: the handler table and timers servicekit
runs, a clock the tests move, and the offer loop's cycle run by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from switchboard.contracts.events import CaseOpened
from switchboard.routing.adapters.orm import AgentRow, CaseRow
from switchboard.routing.bootstrap import DEFINITION
from switchboard.routing.domain.model import Presence
from switchboard.routing.service_layer import agents, policies
from switchboard.routing.service_layer.offers.loop import OfferLoop
from switchboard.servicekit.testing.in_process import InProcessService

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@dataclass
class Desk:
    """Routing in-process: what the API and the consumer would do, by hand."""

    service: InProcessService[Any, Any]
    clock: Clock

    @property
    def loop(self) -> OfferLoop:
        loop = self.service.deps.offers
        assert isinstance(loop, OfferLoop)
        return loop

    async def do(self, use_case: Any, **arguments: Any) -> Any:
        """Run a use case in a transaction of its own, as a route does."""
        async with self.service.service.transaction() as uow:
            return await use_case(uow=uow, now=self.clock.now, **arguments)

    async def hire(self, agent_id: str, *, available: bool = True, **profile: Any) -> None:
        body = {
            "region": "nordics",
            "languages": ["da", "en"],
            "capacity": {"phone": 1, "chat": 3, "email": 5, "social": 3},
            **profile,
        }
        await self.do(agents.save_agent, agent_id=agent_id, profile=body)
        if available:
            await self.do(agents.set_presence, agent_id=agent_id, presence=Presence.AVAILABLE)

    async def open_case(self, case_id: str, **fields: Any) -> CaseOpened:
        values: dict[str, Any] = {
            "case_id": case_id,
            "customer_id": f"customer-{case_id}",
            "region": "nordics",
            "channel": "chat",
            "opened_at": self.clock.now,
            "first_contact_id": f"contact-{case_id}",
            "language": "da",
            "language_confidence": 0.9,
            "priority": 3,
            **fields,
        }
        opened = CaseOpened(**values)
        await self.service.deliver(opened)
        return opened

    async def store_policies(self, document: dict[str, Any]) -> None:
        async with self.service.service.transaction() as uow:
            await policies.replace_policies(uow=uow, document=document)

    async def cycle(self) -> int:
        """One round of the offer loop: sync, decide, commit."""
        return await self.loop.cycle()

    async def case(self, case_id: str) -> CaseRow:
        async with self.service.service.sessions() as session:
            row = await session.get(CaseRow, case_id)
        assert row is not None
        return row

    async def agent(self, agent_id: str) -> AgentRow:
        async with self.service.service.sessions() as session:
            row = await session.get(AgentRow, agent_id)
        assert row is not None
        return row


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    for module in ("cases", "offers.answers"):
        monkeypatch.setattr(f"switchboard.routing.service_layer.{module}.utcnow", clock)
    return clock


@pytest.fixture
async def desk(tmp_path, clock: Clock) -> AsyncIterator[Desk]:
    service = await InProcessService.start(
        DEFINITION, tmp_path, replica_name="routing-test", environment="test"
    )
    desk = Desk(service, clock)
    desk.loop.clock = clock
    yield desk
    await service.close()
