"""Durable SLA timers with several replicas and a restart, on PostgreSQL in real time:
every warning and breach is emitted exactly once, within a second of its due time."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from switchboard.contracts.events import EscalationRaised, SlaBreached, SlaWarned
from switchboard.escalation.bootstrap import DEFINITION
from switchboard.servicekit.service import assemble

from ..conftest import NO_BROKER, case_opened

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
CASES = 40


class Replica:
    """One service replica's timer side: its own engine, config cache and poller."""

    def __init__(self, database_url: str) -> None:
        settings = DEFINITION.settings.load(
            database_url=database_url, kafka_bootstrap_servers=NO_BROKER, timer_poll_seconds=0.05
        )
        self.service = assemble(DEFINITION, settings)
        assert self.service.poller is not None
        self.poller = self.service.poller
        self.task = asyncio.create_task(self.poller.run())

    async def stop(self) -> None:
        self.poller.stop()
        await self.task
        await self.service.runtime.stop()  # never started: closes the engine and clients


async def test_each_threshold_fires_once_in_time_across_replicas_and_a_restart(stack, database_url):
    now = datetime.now(UTC)
    opened = [
        case_opened(at=now - timedelta(seconds=random.uniform(0, 1.5)), region="eu", tier="gold")
        for _ in range(CASES)
    ]
    for event in opened:  # premium policy: 4 s first response, warnings at 2 s and 3 s
        await stack.deliver(event)
    replicas = [Replica(database_url) for _ in range(3)]
    await asyncio.sleep(2.5)
    await replicas[0].stop()  # one replica goes away mid-run...
    replicas[0] = Replica(database_url)  # ...and comes back
    await asyncio.sleep(3.5)
    for replica in replicas:
        await replica.stop()

    ours = {event.case_id for event in opened}
    sla = [e for e in await stack.events(SlaWarned, SlaBreached) if e.case_id in ours]
    first_response = [e for e in sla if e.metric == "first_response"]
    fired = Counter((e.case_id, getattr(e, "fraction", 1.0)) for e in first_response)
    assert set(fired.values()) == {1}
    assert len(fired) == 3 * CASES
    lags = [(getattr(e, "warned_at", None) or e.breached_at) - e.due_at for e in first_response]
    assert max(lags) < timedelta(seconds=1), max(lags)
    assert min(lags) >= timedelta(0)
    raised = [e for e in await stack.events(EscalationRaised) if e.case_id in ours]
    assert Counter(e.case_id for e in raised) == Counter(ours)
