"""What escalation's unit and integration tests share: a configuration, a case, a clock, and
the service's handlers in-process (``Stack``: on SQLite in tests/unit, on PostgreSQL in
tests/integration)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.contracts.events import AgentReplied, CaseOpened, CaseResolved, ContactReceived
from switchboard.escalation.bootstrap import DEFINITION, escalation_dependencies
from switchboard.escalation.domain.configuration import load_config
from switchboard.escalation.service_layer.unit_of_work import EscalationDeps, EscalationUnitOfWork
from switchboard.escalation.settings import EscalationSettings
from switchboard.servicekit.migrations import migrate
from switchboard.servicekit.service import ServiceDefinition, assemble
from switchboard.servicekit.testing.in_process import InProcessService
from switchboard.servicekit.testing.key_holder import KeyHolder
from switchboard.servicekit.unit_of_work import UnitsOfWork

WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
# Monday 24 Nov 2025, 09:00 in Oslo: the nordics office is open 08:00-16:00 on weekdays.
MONDAY_MORNING = datetime(2025, 11, 24, 8, 0, tzinfo=UTC)
NO_BROKER = "127.0.0.1:9"
"""Nothing listens there: the in-process stack never starts its Kafka clients."""


OSLO_OFFICE = """
    timezone: Europe/Oslo
    country: "NO"
    hours: {mon: ["08:00-16:00"], tue: ["08:00-16:00"], wed: ["08:00-16:00"],
            thu: ["08:00-16:00"], fri: ["08:00-16:00"]}"""


def escalation_config(
    *, webhooks: str = "http://127.0.0.1:9", nordics_calendar: str = OSLO_OFFICE
) -> str:
    return f"""
calendars:
  nordics:{nordics_calendar}
  france:
    timezone: Europe/Paris
    country: FR
    hours: {{mon: ["09:00-17:00"], tue: ["09:00-17:00"], wed: ["09:00-17:00"],
            thu: ["09:00-17:00"], fri: ["09:00-17:00"]}}
sla_policies:
  - name: premium
    when: {{customer_tier: [vip, gold]}}
    targets: {{first_response: 4s, next_response: 1h, resolution: 1d}}
    warnings: [0.5, 0.75]
    escalation_policy: fast
  - name: urgent
    when: {{priority: [urgent]}}
    targets: {{first_response: 20m, next_response: 1h, resolution: 4h}}
    escalation_policy: standard
  - name: default
    targets: {{first_response: 1h, next_response: 2h, resolution: 8h}}
    escalation_policy: standard
escalation_policies:
  - name: fast
    levels:
      - {{name: team lead, targets: ["role:team_lead"], acknowledge_within: 3s}}
      - {{name: manager, targets: ["role:manager"], acknowledge_within: 3s}}
  - name: standard
    repeat: 1
    levels:
      - {{name: team lead, targets: ["role:team_lead"], acknowledge_within: 10m}}
      - {{name: coordinator, targets: ["role:coordinator"], acknowledge_within: 15m}}
coordinators:
  - {{id: nora, name: Nora, regions: [nordics], roles: [team_lead],
      webhook: {{url: "{webhooks}/nora", secret: "{WEBHOOK_SECRET}"}}}}
  - {{id: magnus, name: Magnus, regions: [nordics], roles: [manager, coordinator],
      webhook: {{url: "{webhooks}/magnus", secret: "{WEBHOOK_SECRET}"}}}}
  - {{id: camille, name: Camille, regions: [france], roles: [team_lead, coordinator]}}
vip: {{tiers: [vip], wait: 2s}}
"""


def case_opened(
    *,
    at: datetime,
    region: str = "nordics",
    tier: str | None = None,
    priority: int = 3,
    case_id: str | None = None,
) -> CaseOpened:
    return CaseOpened(
        case_id=case_id or f"case-{uuid.uuid4().hex[:10]}",
        customer_id=f"cust-{uuid.uuid4().hex[:6]}",
        region=region,
        channel="email",
        opened_at=at,
        first_contact_id=f"contact-{uuid.uuid4().hex[:6]}",
        language="nb",
        language_confidence=0.9,
        priority=priority,
        customer_tier=tier,
    )


def replied(opened: CaseOpened, *, at: datetime, first: bool = True) -> AgentReplied:
    return AgentReplied(
        case_id=opened.case_id,
        region=opened.region,
        channel=opened.channel,
        agent_id="agent-1",
        message_id="m-1",
        replied_at=at,
        is_first_response=first,
    )


def customer_wrote(opened: CaseOpened, *, at: datetime, text: str = "Any news?") -> ContactReceived:
    return ContactReceived(
        case_id=opened.case_id,
        customer_id=opened.customer_id,
        region=opened.region,
        channel=opened.channel,
        contact_id="contact-2",
        received_at=at,
        outcome="joined",
        language="nb",
        language_confidence=0.9,
        text=text,
    )


def resolved(opened: CaseOpened, *, at: datetime) -> CaseResolved:
    return CaseResolved(
        case_id=opened.case_id,
        region=opened.region,
        channel=opened.channel,
        agent_id="agent-1",
        customer_id=opened.customer_id,
        language="nb",
        opened_at=opened.opened_at,
        resolved_at=at,
        resolution_code="fixed",
        first_contact_resolution=True,
        handle_seconds=60,
    )


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


def clocked(
    clock: Clock, keys: KeyHolder | None = None
) -> ServiceDefinition[EscalationSettings, EscalationDeps]:
    """Escalation as defined, its timers acting at the clock's time, its customers' data
    keys from ``keys`` (intake as a test stands in for it)."""
    holder = keys or KeyHolder()

    def dependencies(settings: EscalationSettings, resources: Any) -> EscalationDeps:
        made = escalation_dependencies(settings, resources, clock=clock)
        return replace(made, personal_keys=holder.client())

    return replace(DEFINITION, dependencies=dependencies)


@dataclass
class Stack:
    """Escalation's handlers in-process under a controlled clock, configured with
    ``escalation_config()`` (re-read on every use: ``config_refresh_seconds=0``)."""

    service: InProcessService[EscalationSettings, EscalationDeps]
    clock: Clock
    keys: KeyHolder
    """Customers' data keys, as intake would serve them: sealed texts open with them."""

    @classmethod
    async def on_sqlite(cls, directory: Path, **settings: Any) -> Stack:
        """Without dictionaries unless ``settings`` name some (``problem_dictionaries``)."""
        clock, keys = Clock(MONDAY_MORNING), KeyHolder()
        service = await InProcessService.start(
            clocked(clock, keys),
            directory,
            kafka_bootstrap_servers=NO_BROKER,
            config_refresh_seconds=0,
            **({"problem_dictionaries": directory / "no-dictionaries"} | settings),
        )
        return await cls(service, clock, keys).configured(escalation_config())

    @classmethod
    async def on(cls, database_url: str) -> Stack:
        clock, keys = Clock(MONDAY_MORNING), KeyHolder()
        settings = DEFINITION.settings.load(
            database_url=database_url,
            kafka_bootstrap_servers=NO_BROKER,
            config_refresh_seconds=0,
            problem_dictionaries=Path(__file__).parent / "no-dictionaries",
        )
        schema = DEFINITION.migrations
        await migrate(database_url, versions_dir=schema.versions_dir, metadata=schema.metadata)
        service = InProcessService(assemble(clocked(clock, keys), settings))
        return await cls(service, clock, keys).configured(escalation_config())

    async def configured(self, text: str) -> Stack:
        async with self.transaction() as uow:
            await uow.deps.config.replace(uow.session, config=load_config(text), by="test")
        return self

    @property
    def deps(self) -> EscalationDeps:
        return self.service.deps

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.service.service.sessions

    @property
    def units(self) -> UnitsOfWork[EscalationDeps]:
        return self.service.service.units

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[EscalationUnitOfWork]:
        async with self.service.service.transaction() as uow:
            yield uow

    async def deliver(self, event: Any) -> str:
        """The event through the consumer's handler table; its envelope's id."""
        (envelope,) = await self.service.deliver(event)
        return envelope.id

    async def fire_timers(self) -> int:
        """Every timer due by the clock's time, including those the firing set due."""
        total = 0
        while fired := await self.service.fire_timers(now=self.clock.at):
            total += fired
        return total

    async def events(self, *types: type) -> list[Any]:
        """What the service published so far (of these types), in order."""
        return [e for e in await self.service.published() if not types or isinstance(e, types)]

    async def __aenter__(self) -> Stack:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.service.close()
