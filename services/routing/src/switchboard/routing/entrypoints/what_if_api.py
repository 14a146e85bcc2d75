"""What-if (coordinators and admins): the recorded day replayed under other policies or
another staffing, side by side with the day as it was."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import timedelta
from statistics import median
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, Field, model_validator

from switchboard.routing.domain.policy import PolicyError
from switchboard.routing.domain.whatif.comparing import Alternative
from switchboard.routing.domain.whatif.staffing import StaffingError
from switchboard.routing.entrypoints.dependencies import PrincipalDep, RoutingDepsDep, SettingsDep
from switchboard.routing.service_layer.unit_of_work import RoutingDeps
from switchboard.routing.service_layer.what_if import alternative, what_if
from switchboard.routing.settings import RoutingSettings
from switchboard.servicekit.auth import Principal, Role
from switchboard.servicekit.db import utcnow
from switchboard.servicekit.http import Problem

router = APIRouter(prefix="/v1", tags=["what-if"])

LONGEST_SPAN = timedelta(days=2)
ONE_AT_A_TIME = asyncio.Lock()
"""A replay reads a day from Kafka and simulates it: one per replica at a time, so a few
callers cannot take routing's CPU and memory from the offers."""
BUSY_RETRY_SECONDS = 10


class AlternativeIn(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=64)]
    policies_yaml: Annotated[str | None, Field(max_length=100_000)] = None
    """A routing policy document (the YAML format of ``POLICIES_FILE``); none: those in force."""
    staffing: Annotated[list[Annotated[str, Field(max_length=80)]], Field(max_length=20)] = []
    """Changes such as ``emea:+2``, ``emea:-1``, ``emea:*1.5``."""


class WhatIfRequest(BaseModel):
    start: AwareDatetime
    end: AwareDatetime | None = None
    """Default: now."""
    alternatives: Annotated[list[AlternativeIn], Field(max_length=5)] = []

    @model_validator(mode="after")
    def _span(self) -> WhatIfRequest:
        end = self.end or utcnow()
        if not self.start < end or end - self.start > LONGEST_SPAN:
            raise ValueError("start must come before end, at most two days before it")
        return self


@router.post("/what-if")
async def run_what_if(
    request: WhatIfRequest, who: PrincipalDep, deps: RoutingDepsDep, settings: SettingsDep
) -> dict[str, Any]:
    """Replay the recorded day with the policies in force and the recorded staffing ("as
    recorded"), then each alternative; per pool: waits, service level, offers per agent.
    Coordinators see their regions' pools only."""
    if who.role not in (Role.ADMIN, Role.COORDINATOR):
        raise Problem(403, "only coordinators and admins run what-if replays")
    try:
        alternatives = [
            alternative(each.name, policies_yaml=each.policies_yaml, staffing=each.staffing)
            for each in request.alternatives
        ]
    except (PolicyError, StaffingError) as error:
        raise Problem(422, str(error), title="Invalid alternative") from error
    if ONE_AT_A_TIME.locked():
        raise Problem(
            503,
            "another what-if replay is running on this replica",
            headers={"Retry-After": str(BUSY_RETRY_SECONDS)},
        )
    async with ONE_AT_A_TIME:
        return await _replay(request, who, deps, settings, alternatives)


async def _replay(
    request: WhatIfRequest,
    who: Principal,
    deps: RoutingDeps,
    settings: RoutingSettings,
    alternatives: list[Alternative],
) -> dict[str, Any]:
    end = request.end or utcnow()
    try:
        result = await what_if(
            kafka=settings.kafka,
            sessions=deps.sessions,
            start=request.start,
            end=end,
            alternatives=alternatives,
            policies_in_force=deps.policies.current,
            staffing=deps.staffing,
        )
    except StaffingError as error:
        raise Problem(422, str(error), title="Invalid alternative") from error
    shown = None if who.role is Role.ADMIN else who.regions
    day = result.day
    visits = [v for v in day.visits if shown is None or v.pool.split("/")[0] in shown]
    agents = [a for a in day.agents if shown is None or a.region in shown]
    return {
        "start": request.start,
        "end": end,
        "day_seconds": result.day.seconds,
        "visits": len(visits),
        "agents": len(agents),
        "abandoned": None,  # no event says a customer gave up waiting
        "dispatch_seconds_median": median(result.day.dispatch_seconds or (0.0,)),
        "alternatives": [
            _shown(asdict(each), shown, result.day.seconds) for each in result.outcomes
        ],
    }


def _shown(
    outcome: dict[str, Any], regions: frozenset[str] | None, seconds: float
) -> dict[str, Any]:
    if regions is not None:
        outcome["pools"] = [p for p in outcome["pools"] if p["pool"].split("/")[0] in regions]
        outcome.pop("offers")
    took = outcome["replay_seconds"]
    outcome["speedup"] = seconds / took if took > 0 else None
    return outcome
