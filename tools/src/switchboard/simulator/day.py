"""One run of the simulator: set-up through the admin APIs, then working days of contacts,
agents and customers against the running platform, and the report."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from switchboard.servicekit.auth import DEV_JWT_SECRET
from switchboard.simulator.agents import SimAgent
from switchboard.simulator.api import Platform, PlatformError, Urls
from switchboard.simulator.arrivals import ArrivalProcess
from switchboard.simulator.channels import CHANNELS, Adapter
from switchboard.simulator.clock import SimClock, clock_time
from switchboard.simulator.observe import EventFeed
from switchboard.simulator.outbound import AdapterServer
from switchboard.simulator.plans import ContactPlan, Planner
from switchboard.simulator.reactions import Reactions
from switchboard.simulator.report import ContactRecord, DayReport
from switchboard.simulator.scenario import DAY_END_HOUR, World, build_world
from switchboard.simulator.summary import Snapshot
from switchboard.simulator.understaffing import UnderstaffedHour, plan_absences


@dataclass(frozen=True)
class SimulationConfig:
    urls: Urls = field(default_factory=Urls)
    kafka: str = "127.0.0.1:9092"
    jwt_secret: str = DEV_JWT_SECRET
    day_seconds: float = 300.0
    contacts: int = 600
    seed: int = 1
    days: int = 1
    understaffed: tuple[str, ...] = ("dach",)
    understaffed_hours: tuple[UnderstaffedHour, ...] = ()
    """Windows of each day in which most of a region's agents are away."""
    run_id: str | None = None
    region_codes: dict[str, str] = field(default_factory=dict)
    """Region name → the code the platform knows it by (defaults to the name)."""
    drain_seconds: float | None = None
    """Real seconds to let work, surveys and escalations settle after the last contact
    (default: a tenth of a day, at least 15 s)."""
    survey_response_rate: float = 0.35


async def run_day(
    config: SimulationConfig,
    *,
    stop: asyncio.Event | None = None,
    on_snapshot: Callable[[Snapshot], None] | None = None,
) -> DayReport:
    """Drive ``config.days`` working days against the platform; the report covers them
    all, and is returned also when ``stop`` is set midway (``interrupted``)."""
    simulation = Simulation(config, stop=stop or asyncio.Event())
    return await simulation.run(on_snapshot)


class Simulation:
    def __init__(self, config: SimulationConfig, *, stop: asyncio.Event) -> None:
        self.config, self.stop = config, stop
        self.run_id = config.run_id or uuid.uuid4().hex[:6]
        self.world: World = build_world(
            run_id=self.run_id,
            contacts=config.contacts,
            understaffed=frozenset(config.understaffed),
            codes=config.region_codes,
        )
        self.absences = plan_absences(self.world, config.understaffed_hours)
        self.platform = Platform(config.urls, config.jwt_secret)
        self.report = DayReport(
            run_id=self.run_id,
            seed=config.seed,
            day_seconds=config.day_seconds,
            contacts_planned=config.contacts,
            regions=dict(self.world.codes),
            understaffed_regions=sorted(self.world.understaffed),
            understaffed_hours=[str(window) for window in config.understaffed_hours],
            agents=len(self.world.agents),
        )
        self.clock = SimClock(config.day_seconds)
        self.replies: dict[str, str] = {}
        self.languages: dict[str, str] = {}
        """Case id → the customer's language, for the agents' replies."""
        self.agents = {
            spec.id: SimAgent(
                spec,
                platform=self.platform,
                clock=self.clock,
                rng=random.Random(f"{config.seed}:{spec.id}"),
                report=self.report,
                replies=self.replies,
                languages=self.languages,
            )
            for spec in self.world.agents
        }
        self.reactions = Reactions(self)
        self.planner = Planner(self.world, random.Random(config.seed))
        self.adapters: dict[tuple[str, str], Adapter] = {}
        self.servers: list[AdapterServer] = []
        self.tasks: set[asyncio.Task[None]] = set()
        self.day = 0

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def run(self, on_snapshot: Callable[[Snapshot], None] | None) -> DayReport:
        self.report.started_at = datetime.now(UTC).isoformat()
        feed = EventFeed(self.config.kafka, lambda envelope: self.reactions.handle(envelope.data))
        try:
            if missing := await self.platform.ready():
                raise PlatformError(f"not ready: {', '.join(missing)}")
            await feed.start()
            try:
                await self._set_up()
                observer = asyncio.create_task(self.reactions.observe(on_snapshot))
                try:
                    for day in range(self.config.days):
                        if self.stop.is_set():
                            break
                        self.day = day
                        await self._working_day()
                        self.report.days = day + 1
                finally:
                    observer.cancel()
                    await asyncio.gather(observer, return_exceptions=True)
                    await self._close_desks()
                    self.report.kpis = await self.reactions.final_kpis()
            finally:
                await feed.stop()
                await self._close_servers()
        finally:
            self.report.interrupted = self.stop.is_set()
            self.report.finished_at = datetime.now(UTC).isoformat()
            await self.platform.close()
        return self.report

    async def _set_up(self) -> None:
        for region in self.world.regions:
            code = self.world.code(region.name)
            for channel in CHANNELS:
                adapter_id = f"sim-{self.run_id}-{region.name}-{channel}"
                if channel == "phone":  # a call is answered on the phone: nothing goes out
                    self.adapters[region.name, channel] = await self.platform.register_adapter(
                        adapter_id, channel, code
                    )
                    continue
                server = AdapterServer(self.reactions.outbound)
                self.servers.append(server)
                adapter = await self.platform.register_adapter(
                    adapter_id, channel, code, outbound_url=server.url
                )
                await server.start(adapter)
                self.adapters[region.name, channel] = adapter
        await asyncio.gather(
            *(self.platform.hire(spec.id, spec.profile()) for spec in self.world.agents)
        )

    async def _working_day(self) -> None:
        self.clock = SimClock(self.config.day_seconds)
        for agent in self.agents.values():
            agent.clock = self.clock
        rng = random.Random(f"{self.config.seed}:day{self.day}")
        self.planner.rng = rng
        arrivals = ArrivalProcess(self.config.contacts).hours(rng)
        shifts = asyncio.create_task(self._run_shifts())
        try:
            for hour in arrivals:
                if await self._stopped_before(hour):
                    break
                self._post(self.planner.plan(hour))
            await self._stopped_before(DAY_END_HOUR)
        finally:
            shifts.cancel()
            await asyncio.gather(shifts, return_exceptions=True)
        await self._drain()

    async def _stopped_before(self, hour: float) -> bool:
        """Wait until the simulated ``hour``; True if told to stop meanwhile."""
        waiting = asyncio.create_task(self.clock.until(hour))
        stopping = asyncio.create_task(self.stop.wait())
        await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        stopping.cancel()
        return self.stop.is_set()

    async def _run_shifts(self) -> None:
        """Every agent's presence follows their shift and the understaffed hours, checked
        each simulated minute."""
        while True:
            hour = self.clock.hour()
            for agent in self.agents.values():
                wanted = "available" if self.absences.on_duty(agent.spec, hour) else "away"
                if agent.wanted != wanted and not (wanted == "away" and agent.wanted == "offline"):
                    await agent.safely(agent.set_presence(wanted))
            await self.clock.wait(60, at_most=1.0)

    def _post(self, plan: ContactPlan) -> None:
        adapter = self.adapters[plan.region.name, plan.channel]
        agent_reply = self.reactions.agent_reply_for(plan.customer)
        payload = plan.payload(region_code=adapter.region, agent_reply_id=agent_reply)
        record = ContactRecord(
            day=self.day,
            sim_time=clock_time(plan.hour),
            channel=plan.channel,
            region=plan.region.name,
            language=plan.language,
            kind=plan.kind,
            customer=plan.customer.key,
            adapter_id=adapter.id,
            status=0,
            priority=plan.priority,
            angry=plan.angry,
        )
        self.report.contacts.append(record)
        self.spawn(self.reactions.deliver(adapter, payload, record, plan.customer))

    async def _drain(self) -> None:
        """Let agents finish and surveys come back; then everyone goes offline."""
        drain = self.config.drain_seconds
        if drain is None:
            drain = max(15.0, self.config.day_seconds / 10)
        deadline = asyncio.get_running_loop().time() + drain
        while asyncio.get_running_loop().time() < deadline and not self.stop.is_set():
            busy = any(agent.handling for agent in self.agents.values())
            if not busy and not self.tasks and self.reactions.settled():
                break
            await asyncio.sleep(0.5)
        for agent in self.agents.values():
            await agent.safely(agent.set_presence("offline"))

    async def _close_servers(self) -> None:
        for server in self.servers:
            await server.stop()
        # What they received since the desks closed (delivery reports) ends with them: the
        # HTTP client closes next.
        late = list(self.tasks)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        self.report.conversation.forged = sum(server.forged for server in self.servers)

    async def _close_desks(self) -> None:
        """Stop whatever agents and customers are still doing (a stop or the drain's end)."""
        pending = list(self.tasks)
        for agent in self.agents.values():
            pending.extend(agent.work)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for agent in self.agents.values():
            if agent.wanted != "offline":
                await agent.safely(agent.set_presence("offline"))
