"""What-if, as the CLI and the API run it: read the day from the topics and routing's
agents, replay each alternative, measure."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import yaml
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.routing.adapters.orm import PolicyDocumentRow
from switchboard.routing.adapters.whatif_sources import read_day
from switchboard.routing.domain.policy import PolicyError, PolicySet, policy_set_from_data
from switchboard.routing.domain.whatif.comparing import Alternative, compare
from switchboard.routing.domain.whatif.recording import RecordedDay
from switchboard.routing.domain.whatif.results import Outcome
from switchboard.routing.domain.whatif.staffing import StaffingChange
from switchboard.routing.service_layer.unit_of_work import StaffingPlan
from switchboard.servicekit.kafka import KafkaConnection

AS_RECORDED = "as recorded"


@dataclass(frozen=True)
class WhatIf:
    day: RecordedDay
    outcomes: list[Outcome]


async def what_if(
    *,
    kafka: KafkaConnection,
    sessions: async_sessionmaker[AsyncSession],
    start: datetime,
    end: datetime,
    alternatives: Sequence[Alternative],
    policies_in_force: PolicySet,
    staffing: StaffingPlan,
) -> WhatIf:
    """The day between ``start`` and ``end`` as recorded, replayed with the policies in
    force and the recorded staffing, then each of ``alternatives``."""
    async with sessions() as session:
        day = await read_day(kafka, session, start=start, end=end)
    runs = [Alternative(AS_RECORDED), *alternatives]
    outcomes = await asyncio.to_thread(
        compare,
        day,
        runs,
        policies_in_force=policies_in_force,
        target_of=lambda pool: staffing.target_of(pool).answer_seconds,
    )
    return WhatIf(day, outcomes)


async def stored_policies(sessions: async_sessionmaker[AsyncSession]) -> PolicySet:
    """The policy document routing holds (what its replicas route by)."""
    async with sessions() as session:
        row = await session.get(PolicyDocumentRow, 1)
    return policy_set_from_data(row.document if row else {"policies": []})


def alternative(
    name: str, *, policies_yaml: str | None = None, staffing: Iterable[str] = ()
) -> Alternative:
    """An alternative from a policy document's YAML (or JSON) text and staffing changes
    such as ``emea:+2``; raises PolicyError or StaffingError."""
    policies = None
    if policies_yaml is not None and policies_yaml.strip():
        try:
            document = yaml.safe_load(policies_yaml)
        except yaml.YAMLError as error:
            raise PolicyError(f"not YAML: {error}", where="policies") from error
        except RecursionError as error:  # a few thousand nested brackets
            raise PolicyError("nested too deeply", where="policies") from error
        if not isinstance(document, dict):
            raise PolicyError("expected a mapping with a 'policies' list", where="policies")
        policies = policy_set_from_data(document)
    changes = tuple(StaffingChange.parse(text) for text in staffing)
    return Alternative(name, policies=policies, staffing=changes)
