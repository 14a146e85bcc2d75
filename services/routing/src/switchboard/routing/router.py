"""The router: keeps this replica's engine in step with the database and commits its offers.

Every cycle reads what changed since the last revision it saw, lets the engine propose
offers, and commits them in batches with a compare-and-set: each case, locked, must still
be waiting and each agent, locked, must still have room on the channel. Cases are locked
before agents, each in key order, so concurrent batches cannot deadlock. A refused proposal
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
from functools import partial
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from switchboard.contracts.base import Event
from switchboard.contracts.events import CaseOffered
from switchboard.routing.adapters.membership import Membership
from switchboard.routing.adapters.orm import AgentRow, CaseRow, OfferRow
from switchboard.routing.adapters.pool_notices import PoolNotices
from switchboard.routing.adapters.publishing import (
    agent_fields,
    explanation_of,
    load_changed,
    publish_all,
)
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
from switchboard.routing.domain.ownership import PoolOwnership
from switchboard.routing.domain.policy import policy_set_from_data
from switchboard.servicekit import timers
from switchboard.servicekit.db import call_after_commit, call_after_rollback, utcnow
from switchboard.servicekit.stalls import StallWatch

log = logging.getLogger(__name__)

Row = TypeVar("Row", CaseRow, AgentRow)


class Router:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        context: RoutingContext,
        sync_seconds: float = 0.05,
        offers_per_transaction: int = 100,
        membership: Membership | None = None,
        notices: PoolNotices | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.context = context
        self.engine = RoutingEngine(policies=context.policies)
        self.seen = 0
        self.sync_seconds = sync_seconds
        self.offers_per_transaction = max(1, offers_per_transaction)
        self.membership = membership
        self.ownership = PoolOwnership(
            me=context.replica, replicas=frozenset(), sharded=membership is not None
        )
        self._next_beat = 0.0
        self._to_refresh: list[Decision] = []
        self.clock = clock
        self.offers_committed = 0
        self.conflicts = 0
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self.running = False
        self.notices = notices
        self.notices_for_me = 0
        self.stall = StallWatch("router", first_pause=sync_seconds)

    def wake(self) -> None:
        self._wakeup.set()

    def owns(self, pool: str) -> bool:
        return self.ownership.owns(pool)

    def _pools_waiting(self, pools: set[str]) -> None:
        """Another replica queued cases in these pools: sync now if one of them is ours."""
        if any(self.ownership.owns(pool) for pool in pools):
            self.notices_for_me += 1
            self.wake()

    def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()

    async def run(self) -> None:
        self.running = True
        try:
            while not self._stopping.is_set():
                await self.stall.attempt(self._round)
                with contextlib.suppress(TimeoutError):
                    pause = self.stall.pause(self.sync_seconds)
                    await asyncio.wait_for(self._wakeup.wait(), pause)
                self._wakeup.clear()
        finally:
            self.running = False
            if self.notices is not None:
                await self.notices.close()
            if self.membership is not None:
                with contextlib.suppress(Exception):
                    await self.membership.leave()

    async def _round(self) -> None:
        await self.keep_membership()
        if self.notices is not None:
            await self.notices.ensure_listening(self._pools_waiting)
        await self.cycle()

    async def keep_membership(self) -> None:
        """Beat when due; when the live replicas changed, index the pools now ours."""
        loop = asyncio.get_running_loop()
        if self.membership is None or loop.time() < self._next_beat:
            return
        self._next_beat = loop.time() + self.membership.heartbeat_seconds
        live = await self.membership.beat()
        if live != self.ownership.replicas:
            log.info("replicas now %s: re-sharing the pools", sorted(live))
            self.ownership = PoolOwnership(me=self.context.replica, replicas=live)
            self.reset()

    async def cycle(self) -> int:
        """Sync, decide, commit; returns how many offers were committed."""
        committed = 0
        pending = await self.sync()
        refused_elsewhere, self._to_refresh = self._to_refresh, []
        for decision in refused_elsewhere:
            pending.extend(await self.refresh(decision))
        while pending:
            size = self.offers_per_transaction
            batch, pending = pending[:size], pending[size:]
            refused = await self._commit_batch(batch)
            committed += len(batch) - len(refused)
            for decision in refused:
                pending.extend(await self.refresh(decision))
        return committed

    async def _commit_batch(self, batch: list[Decision]) -> list[Decision]:
        """Commit ``batch`` together; if that fails, one by one. The refused decisions."""
        try:
            return await self.commit_offers(batch)
        except Exception:
            if len(batch) == 1:
                self.reset()
                raise
            log.warning("a batch of %d offers failed; committing one by one", len(batch))
        refused: list[Decision] = []
        for decision in batch:
            refused.extend(await self._commit_batch([decision]))
        return refused

    def reset(self) -> None:
        """Forget the index (its proposals may be half-applied) and rebuild it from the truth."""
        self.engine = RoutingEngine(policies=self.context.policies)
        self.seen = 0
        self._to_refresh = []

    async def sync(self) -> list[Decision]:
        async with self.sessions() as session:
            changes = await changes_since(session, self.seen, wanted=self.ownership.owns)
        now = self.clock()
        outcome = Outcome()
        if changes.policy_document is not None:
            self.context.policies = policy_set_from_data(changes.policy_document)
            self.engine.policies = self.context.policies
        for case_id in changes.settled:
            self.engine.forget(case_id)
        for case in changes.cases:
            outcome.extend(self._apply_case(case, now=now))
        for agent in changes.agents:
            outcome.extend(self.engine.upsert_agent(agent_from_row(agent), now=now))
        self.seen = changes.revision
        return outcome.decisions

    def _apply_case(self, case: CaseRow, *, now: datetime) -> Outcome:
        if case.state == ItemState.WAITING.value and self.ownership.owns(case.pool):
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

    async def commit_offers(self, decisions: list[Decision]) -> list[Decision]:
        """Commit the offers still possible, in one transaction; the refused decisions."""
        async with self.sessions() as session, session.begin():
            offered, events, refused = await self._offer_in(session, decisions, now=self.clock())
            with session.no_autoflush:  # changed rows are written once, at commit
                await publish_all(session, events)
                await timers.cancel_many(
                    session, kind=REVIEW_TIMER, keys=[offer.case_id for offer in offered]
                )
        self.offers_committed += len(offered)
        return refused

    async def offer_on_arrival(self, session: AsyncSession, cases: list[CaseRow]) -> list[Event]:
        """Cases just queued in ``session``'s transaction (not yet committed): offer those a
        free agent can take now, in that same transaction, instead of a cycle later.

        The engine applies its proposals at once; if the transaction does not commit, or
        the database refuses one, the next cycle re-reads those cases and agents. Returns
        the events (each offer, then its agent's new load) for the caller to publish after
        its CaseQueued ones; the cases offered have no step-review timer to drop (their
        caller sets none)."""
        now = self.clock()
        self.engine.policies = self.context.policies  # the policies the cases were filed by
        outcome = Outcome()
        for case in cases:
            outcome.extend(self._apply_case(case, now=now))
        decisions = outcome.decisions
        if not decisions:
            return []
        call_after_rollback(session, partial(self._refresh_later, decisions))
        mine = {case.case_id: case for case in cases}  # new in this transaction: no lock
        offered, events, refused = await self._offer_in(session, decisions, now=now, cases=mine)
        call_after_commit(session, partial(self._arrival_committed, len(offered), refused))
        return events

    def _arrival_committed(self, offered: int, refused: list[Decision]) -> None:
        self.offers_committed += offered
        self._refresh_later(refused)

    def _refresh_later(self, decisions: list[Decision]) -> None:
        if decisions:
            self._to_refresh.extend(decisions)
            self.wake()

    async def _offer_in(
        self,
        session: AsyncSession,
        decisions: list[Decision],
        *,
        now: datetime,
        cases: dict[str, CaseRow] | None = None,
    ) -> tuple[list[CaseOffered], list[Event], list[Decision]]:
        """Apply the decisions still possible to locked rows in ``session`` (``cases`` that
        the transaction holds already are not read again) and set their offer timers: the
        offers, the events to publish (each offer, then its agent's new load) and the
        decisions refused."""
        refused: list[Decision] = []
        offered: list[CaseOffered] = []
        events: list[Event] = []
        if cases is None:
            cases = await _locked(session, CaseRow, CaseRow.case_id, {d.case_id for d in decisions})
        with session.no_autoflush:  # changed and new rows are written once, at commit
            agents = await _locked(session, AgentRow, AgentRow.id, {d.agent_id for d in decisions})
            for decision in decisions:
                case, agent = cases.get(decision.case_id), agents.get(decision.agent_id)
                if case is None or agent is None or not _still_possible(case, agent, decision):
                    refused.append(decision)
                    continue
                offer = self._offer(session, decision, case, agent, now=now)
                offered.append(offer)
                events += [offer, load_changed(agent, at=now)]
            await timers.schedule_many(
                session, kind=OFFER_TIMER, due=[(o.offer_id, o.expires_at, None) for o in offered]
            )
        return offered, events, refused

    def _offer(
        self,
        session: AsyncSession,
        decision: Decision,
        case: CaseRow,
        agent: AgentRow,
        *,
        now: datetime,
    ) -> CaseOffered:
        """Apply one offer to the locked rows; the event that announces it."""
        offer_id = str(uuid.uuid4())
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
        stamp(session, case, agent)
        return CaseOffered(
            **agent_fields(case, agent),
            offer_id=offer_id,
            offered_at=now,
            expires_at=expires_at,
            explanation=explanation,
        )


async def _locked(
    session: AsyncSession, model: type[Row], key: InstrumentedAttribute[str], ids: set[str]
) -> dict[str, Row]:
    """The rows with these keys, locked in key order (the order every batch uses)."""
    rows = await session.scalars(
        select(model).where(key.in_(sorted(ids))).order_by(key).with_for_update()
    )
    return {getattr(row, key.key): row for row in rows}


def _still_possible(case: CaseRow, agent: AgentRow, decision: Decision) -> bool:
    if case.state != ItemState.WAITING.value:
        return False
    if agent.id in case.excluded_agents or agent.presence != Presence.AVAILABLE.value:
        return False
    if case.channel != decision.channel.value or case.pool not in agent.pools:
        return False
    return capacity_of(agent).can_take(Channel(case.channel), channel_counts(agent.load))
