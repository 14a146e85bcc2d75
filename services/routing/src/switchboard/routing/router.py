"""The router: keeps this replica's engine in step with the database and commits its offers.

Every cycle reads what changed since the last revision it saw, lets the engine propose
offers, and commits each with a compare-and-set: the case must still be waiting (same
version) and the agent, locked, must still have room on the channel. A refused proposal
is withdrawn and both rows are re-read, so a stale index costs a retry, never a double
assignment or an agent over capacity.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.contracts.events import CaseOffered
from switchboard.routing.adapters.orm import AgentRow, CaseRow, OfferRow
from switchboard.routing.adapters.publishing import agent_fields, explanation_of, publish
from switchboard.routing.adapters.records import (
    add_load,
    agent_from_row,
    capacity_of,
    changes_since,
    channel_counts,
    item_from_row,
    stamp,
)
from switchboard.routing.context import OFFER_TIMER, REVIEW_TIMER, RoutingContext
from switchboard.routing.domain.decisions import Decision, Outcome
from switchboard.routing.domain.engine import RoutingEngine
from switchboard.routing.domain.model import Channel, ItemState, Presence
from switchboard.routing.domain.policy import policy_set_from_data
from switchboard.servicekit import timers
from switchboard.servicekit.db import utcnow

log = logging.getLogger(__name__)


class Router:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        context: RoutingContext,
        sync_seconds: float = 0.2,
        owns_pool: Callable[[str], bool] = lambda pool: True,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.context = context
        self.engine = RoutingEngine(policies=context.policies)
        self.seen = 0
        self.sync_seconds = sync_seconds
        self.owns_pool = owns_pool
        self.clock = clock
        self.offers_committed = 0
        self.conflicts = 0
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self.running = False

    def wake(self) -> None:
        self._wakeup.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()

    async def run(self) -> None:
        self.running = True
        try:
            while not self._stopping.is_set():
                try:
                    await self.cycle()
                except Exception:
                    log.exception("routing cycle failed; retrying")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self.sync_seconds)
                self._wakeup.clear()
        finally:
            self.running = False

    async def cycle(self) -> int:
        """Sync, decide, commit; returns how many offers were committed."""
        committed = 0
        pending = await self.sync()
        while pending:
            decision = pending.pop(0)
            try:
                accepted = await self.commit_offer(decision)
            except Exception:
                self.reset()
                raise
            if accepted:
                committed += 1
            else:
                pending.extend(await self.refresh(decision))
        return committed

    def reset(self) -> None:
        """Forget the index (its proposals may be half-applied) and rebuild it from the truth."""
        self.engine = RoutingEngine(policies=self.context.policies)
        self.seen = 0

    async def sync(self) -> list[Decision]:
        async with self.sessions() as session:
            changes = await changes_since(session, self.seen)
        now = self.clock()
        outcome = Outcome()
        if changes.policy_document is not None:
            self.context.policies = policy_set_from_data(changes.policy_document)
            self.engine.policies = self.context.policies
        for case in changes.cases:
            outcome.extend(self._apply_case(case, now=now))
        for agent in changes.agents:
            outcome.extend(self.engine.upsert_agent(agent_from_row(agent), now=now))
        self.seen = changes.revision
        return outcome.decisions

    def _apply_case(self, case: CaseRow, *, now: datetime) -> Outcome:
        if case.state == ItemState.WAITING.value and self.owns_pool(case.pool):
            return self.engine.restore(item_from_row(case), now=now)
        self.engine.forget(case.case_id)
        return Outcome()

    async def refresh(self, decision: Decision) -> list[Decision]:
        """The database refused a proposal: re-read the case and the agent from the truth."""
        self.conflicts += 1
        now = self.clock()
        self.engine.withdraw(decision.case_id, now=now)
        async with self.sessions() as session:
            case = await session.get(CaseRow, decision.case_id)
            agent = await session.get(AgentRow, decision.agent_id)
        outcome = Outcome()
        if agent is not None:
            outcome.extend(self.engine.upsert_agent(agent_from_row(agent), now=now))
        if case is not None:
            outcome.extend(self._apply_case(case, now=now))
        else:
            self.engine.forget(decision.case_id)
        return outcome.decisions

    async def commit_offer(self, decision: Decision) -> bool:
        now = self.clock()
        async with self.sessions() as session, session.begin():
            case = await session.get(CaseRow, decision.case_id, with_for_update=True)
            agent = await session.get(AgentRow, decision.agent_id, with_for_update=True)
            if case is None or agent is None or not _still_possible(case, agent, decision):
                return False
            offer_id = str(uuid.uuid4())
            moved = await session.execute(
                update(CaseRow)
                .where(
                    CaseRow.case_id == case.case_id,
                    CaseRow.state == ItemState.WAITING.value,
                    CaseRow.version == case.version,
                )
                .values(version=CaseRow.version + 1)
                .execution_options(synchronize_session=False)
            )
            if getattr(moved, "rowcount", 0) != 1:
                return False
            explanation = explanation_of(decision)
            case.version += 1
            case.state, case.agent_id, case.offer_id = ItemState.OFFERED.value, agent.id, offer_id
            case.explanation = explanation.model_dump(mode="json")
            add_load(agent, case.channel, +1)
            agent.idle_since = now
            agent.version += 1
            expires_at = now + (decision.offer_expires_at - decision.decided_at)
            session.add(
                OfferRow(
                    offer_id=offer_id,
                    case_id=case.case_id,
                    agent_id=agent.id,
                    offered_at=now,
                    expires_at=expires_at,
                    state="pending",
                    replica=self.context.replica,
                    explanation=case.explanation,
                )
            )
            await publish(
                session,
                CaseOffered(
                    **agent_fields(case, agent),
                    offer_id=offer_id,
                    offered_at=now,
                    expires_at=expires_at,
                    explanation=explanation,
                ),
            )
            await timers.schedule(session, kind=OFFER_TIMER, key=offer_id, due_at=expires_at)
            await timers.cancel(session, kind=REVIEW_TIMER, key=case.case_id)
            await stamp(session, case, agent)
        self.offers_committed += 1
        return True


def _still_possible(case: CaseRow, agent: AgentRow, decision: Decision) -> bool:
    if case.state != ItemState.WAITING.value:
        return False
    if agent.id in case.excluded_agents or agent.presence != Presence.AVAILABLE.value:
        return False
    if case.channel != decision.channel.value or case.pool not in agent.pools:
        return False
    return capacity_of(agent).can_take(Channel(case.channel), channel_counts(agent.load))
