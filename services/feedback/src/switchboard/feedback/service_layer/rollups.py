"""Counting a measurement in every roll-up bucket it belongs to, on its region's calendar."""

from __future__ import annotations

from datetime import datetime

from switchboard.feedback.adapters.rollup_store import add_measurement
from switchboard.feedback.domain.kpis import Counters
from switchboard.feedback.domain.rollups import Measurement, zone_for
from switchboard.feedback.service_layer.unit_of_work import FeedbackUnitOfWork


async def add_to_rollups(
    uow: FeedbackUnitOfWork,
    *,
    at: datetime,
    region: str,
    channel: str,
    counters: Counters,
    agent_id: str | None = None,
    team: str | None = None,
) -> None:
    measurement = Measurement(
        at=at, region=region, channel=channel, counters=counters, agent_id=agent_id, team=team
    )
    zone = zone_for(region, uow.deps.settings.region_time_zones)
    await add_measurement(uow.session, measurement=measurement, zone=zone)
