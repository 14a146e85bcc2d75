"""The agent directory and presence: what admins and agents change about an agent."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from switchboard.contracts.events.assignments import QueueReason
from switchboard.routing.adapters import repository
from switchboard.routing.adapters.contract_events import agent_actor, agent_status
from switchboard.routing.adapters.orm import AgentRow, OfferRow
from switchboard.routing.domain.model import Presence
from switchboard.routing.service_layer.queueing import enter_queue, release_slot
from switchboard.routing.service_layer.unit_of_work import RoutingUnitOfWork


async def save_agent(
    *, uow: RoutingUnitOfWork, agent_id: str, profile: Mapping[str, Any], now: datetime
) -> AgentRow:
    """Create or update an agent's profile; presence and current load are kept."""
    agent = await uow.session.get(AgentRow, agent_id, with_for_update=True)
    created = agent is None
    if agent is None:
        agent = AgentRow(
            id=agent_id, presence=Presence.OFFLINE.value, idle_since=now, load={}, revision=0
        )
        uow.session.add(agent)
    agent.region = profile["region"]
    agent.team = profile.get("team")
    agent.pools = list(profile.get("pools") or [profile["region"]])
    agent.skills = dict(profile.get("skills", {}))
    agent.languages = list(profile.get("languages", []))
    agent.capacity = dict(profile["capacity"])
    if created:
        await uow.publish(agent_status(agent, previous=None, at=now, reason="agent created"))
    return agent


async def set_presence(
    *, uow: RoutingUnitOfWork, agent_id: str, presence: Presence, now: datetime
) -> AgentRow:
    """Change presence; going offline puts every unaccepted offer back in the queue."""
    offered = []
    if presence is Presence.OFFLINE:
        offered = await repository.offered_cases_of(uow.session, agent_id)
    agent = await repository.agent(uow.session, agent_id, lock=True)
    for case in offered:
        offer = await uow.session.get(OfferRow, case.offer_id)
        if offer is not None:
            offer.state, offer.answered_at = "withdrawn", now
        await release_slot(uow, case=case, agent=agent, now=now)
        await enter_queue(uow, case=case, reason=QueueReason.AGENT_OFFLINE, now=now)
    previous = agent.presence
    if previous != presence.value or offered:
        agent.presence = presence.value
        if presence is Presence.AVAILABLE:
            agent.idle_since = now
        await uow.publish(agent_status(agent, previous=previous, at=now, by=agent_actor(agent_id)))
    return agent
