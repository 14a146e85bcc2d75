"""The offer writer: turns the index's decisions into offers on the rows, with a
compare-and-set.

Each case, locked, must still be waiting and each agent, locked, must still have room on
the channel. Cases are locked before agents, each in key order, so concurrent batches
cannot deadlock. What the rows refuse is handed back for the offer loop to re-read, so a
stale index costs a retry, never a double assignment or an agent over capacity.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from switchboard.contracts.base import Event
from switchboard.contracts.events import CaseOffered
from switchboard.routing.adapters import repository
from switchboard.routing.adapters.contract_events import agent_fields, explanation_of, load_changed
from switchboard.routing.adapters.orm import AgentRow, CaseRow, OfferRow
from switchboard.routing.adapters.records import add_load, capacity_of, channel_counts
from switchboard.routing.domain.decisions import Decision
from switchboard.routing.domain.model import Channel, ItemState, Presence
from switchboard.routing.service_layer.timer_kinds import OFFER_TIMER, REVIEW_TIMER
from switchboard.servicekit.unit_of_work import UnitOfWork


@dataclass
class Offers:
    """What one pass of the writer did."""

    made: list[CaseOffered] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    """Each offer, then its agent's new load: what to publish."""
    refused: list[Decision] = field(default_factory=list)


class OfferWriter:
    def __init__(self, *, replica: str) -> None:
        self.replica = replica

    async def commit(
        self, uow: UnitOfWork[Any], decisions: list[Decision], *, now: datetime
    ) -> Offers:
        """Offer what is still possible of ``decisions`` in ``uow``'s transaction, publish
        the offers and drop the offered cases' step-review timers."""
        offers = await self.apply(uow, decisions, now=now)
        with uow.session.no_autoflush:  # changed rows are written once, at commit
            await uow.publish(*offers.events)
            await uow.cancel(REVIEW_TIMER, *(offer.case_id for offer in offers.made))
        return offers

    async def apply(
        self,
        uow: UnitOfWork[Any],
        decisions: list[Decision],
        *,
        now: datetime,
        cases: dict[str, CaseRow] | None = None,
    ) -> Offers:
        """Apply the decisions still possible to locked rows and set their offer timers,
        publishing nothing. ``cases`` the transaction holds already are not read again."""
        session = uow.session
        offers = Offers()
        if cases is None:
            ids = {decision.case_id for decision in decisions}
            cases = await repository.locked(session, CaseRow, CaseRow.case_id, ids)
        with session.no_autoflush:  # changed and new rows are written once, at commit
            ids = {decision.agent_id for decision in decisions}
            agents = await repository.locked(session, AgentRow, AgentRow.id, ids)
            for decision in decisions:
                case, agent = cases.get(decision.case_id), agents.get(decision.agent_id)
                if case is None or agent is None or not _still_possible(case, agent, decision):
                    offers.refused.append(decision)
                    continue
                offer = self._offer(uow, decision, case, agent, now=now)
                offers.made.append(offer)
                offers.events += [offer, load_changed(agent, at=now)]
            await uow.schedule_many(
                OFFER_TIMER, [(offer.offer_id, offer.expires_at, None) for offer in offers.made]
            )
        return offers

    def _offer(
        self,
        uow: UnitOfWork[Any],
        decision: Decision,
        case: CaseRow,
        agent: AgentRow,
        *,
        now: datetime,
    ) -> CaseOffered:
        """Apply one offer to the locked rows; the event that announces it."""
        offer_id = str(uuid.uuid4())
        explanation = explanation_of(decision)
        case.state, case.agent_id, case.offer_id = ItemState.OFFERED.value, agent.id, offer_id
        case.explanation = explanation.model_dump(mode="json")
        add_load(agent, case.channel, +1)
        agent.idle_since = now
        expires_at = now + (decision.offer_expires_at - decision.decided_at)
        uow.session.add(
            OfferRow(
                offer_id=offer_id,
                case_id=case.case_id,
                agent_id=agent.id,
                offered_at=now,
                expires_at=expires_at,
                state="pending",
                replica=self.replica,
                explanation=case.explanation,
            )
        )
        return CaseOffered(
            **agent_fields(case, agent),
            offer_id=offer_id,
            offered_at=now,
            expires_at=expires_at,
            explanation=explanation,
        )


def _still_possible(case: CaseRow, agent: AgentRow, decision: Decision) -> bool:
    if case.state != ItemState.WAITING.value:
        return False
    if agent.id in case.excluded_agents or agent.presence != Presence.AVAILABLE.value:
        return False
    if case.channel != decision.channel.value or case.pool not in agent.pools:
        return False
    return capacity_of(agent).can_take(Channel(case.channel), channel_counts(agent.load))
