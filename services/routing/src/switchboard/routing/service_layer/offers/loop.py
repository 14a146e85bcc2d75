"""The offer loop: keeps this replica's routing index in step with the database and has the
offer writer commit what the index decides.

Every cycle reads what changed since the last revision it saw, feeds it to the index and
commits the index's proposals in batches. Cases just queued are offered sooner, in the
transaction that queues them (``offer_on_arrival``). Replicas share out the pools through
their heartbeats; notices from the other replicas and commits in this one wake the loop
before its next timed sync.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.contracts.base import Event
from switchboard.routing.adapters.changes import changes_since
from switchboard.routing.adapters.membership import Membership
from switchboard.routing.adapters.orm import AgentRow, CaseRow
from switchboard.routing.adapters.pool_notices import PoolNotices
from switchboard.routing.adapters.records import agent_from_row, item_from_row
from switchboard.routing.domain.decisions import Decision
from switchboard.routing.domain.model import ItemState
from switchboard.routing.domain.ownership import PoolOwnership
from switchboard.routing.domain.policy import policy_set_from_data
from switchboard.routing.domain.routing_index import RoutingIndex
from switchboard.routing.service_layer.offers.writer import OfferWriter
from switchboard.routing.service_layer.unit_of_work import PoliciesInForce
from switchboard.servicekit.db import utcnow
from switchboard.servicekit.stalls import StallWatch
from switchboard.servicekit.unit_of_work import UnitOfWork, UnitsOfWork

log = logging.getLogger(__name__)


FREEZE_AFTER_CASES = 10_000
"""A sync that indexed this many cases (a replica's first, or a re-share) built objects that
live as long as the index: they are kept out of the garbage collector's rounds."""


def settle_long_lived() -> None:
    """Collect once, then freeze what is left (the index) out of the collector's
    generations: with a million waiting cases, every full collection would otherwise walk
    them all — seconds-long pauses of the offer loop (``gc.freeze``). What an earlier freeze
    kept (a previous index, after a re-share) is thawed first, so its cycles are collected."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class OfferLoop:
    name = "routing index"
    """Its readiness check: routing is not ready before the index holds the waiting cases."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        policies: PoliciesInForce,
        writer: OfferWriter,
        replica: str,
        sync_seconds: float = 0.05,
        offers_per_transaction: int = 100,
        membership: Membership | None = None,
        notices: PoolNotices | None = None,
    ) -> None:
        self.sessions = sessions
        self.units = UnitsOfWork(sessions, None)  # the writer needs no dependencies
        self.policies = policies
        self.writer = writer
        self.replica = replica
        self.index = RoutingIndex(policies=policies.current)
        self.seen = 0
        self.sync_seconds = sync_seconds
        self.offers_per_transaction = max(1, offers_per_transaction)
        self.membership = membership
        self.ownership = PoolOwnership(
            me=replica, replicas=frozenset(), sharded=membership is not None
        )
        self.notices = notices
        self.clock = utcnow
        self.offers_committed = 0
        self.conflicts = 0
        self.notices_for_me = 0
        self.running = False
        self.built = False
        """The index was built from the database at least once since start."""
        self.stall = StallWatch("offer loop", first_pause=sync_seconds)
        self._next_beat = 0.0
        self._to_refresh: list[Decision] = []
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()

    # -- the offer port ---------------------------------------------------------------

    def wake(self) -> None:
        self._wakeup.set()

    def owns(self, pool: str) -> bool:
        return self.ownership.owns(pool)

    def queue_position(self, case_id: str) -> int | None:
        return self.index.queue_position(case_id)

    def estimated_wait(self, case_id: str) -> timedelta | None:
        return self.index.estimated_wait(case_id)

    async def offer_on_arrival(self, uow: UnitOfWork[Any], cases: list[CaseRow]) -> list[Event]:
        """Cases just queued in ``uow``'s transaction (not yet committed): offer those a
        free agent can take now, in that same transaction, instead of a cycle later.

        The index applies its proposals at once; if the transaction does not commit, or
        the rows refuse one, the next cycle re-reads those cases and agents. Returns the
        events (each offer, then its agent's new load) for the caller to publish after its
        CaseQueued ones; the cases offered have no step-review timer to drop (their caller
        sets none)."""
        now = self.clock()
        self.index.policies = self.policies.current  # the policies the cases were filed by
        decisions: list[Decision] = []
        for case in cases:
            decisions += self._apply_case(case, now=now)
        if not decisions:
            return []
        uow.after_rollback(partial(self._refresh_later, decisions))
        new = {case.case_id: case for case in cases}  # new in this transaction: no lock
        offers = await self.writer.apply(uow, decisions, now=now, cases=new)
        uow.after_commit(partial(self._arrival_committed, len(offers.made), offers.refused))
        return offers.events

    # -- the worker -------------------------------------------------------------------

    def not_ready_because(self) -> str | None:
        return None if self.built else "building the index from the waiting cases and agents"

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

    def _pools_waiting(self, pools: set[str]) -> None:
        """Another replica queued cases in these pools: sync now if one of them is ours."""
        if any(self.ownership.owns(pool) for pool in pools):
            self.notices_for_me += 1
            self.wake()

    async def keep_membership(self) -> None:
        """Beat when due; when the live replicas changed, index the pools now ours."""
        loop = asyncio.get_running_loop()
        if self.membership is None or loop.time() < self._next_beat:
            return
        self._next_beat = loop.time() + self.membership.heartbeat_seconds
        live = await self.membership.beat()
        if live != self.ownership.replicas:
            log.info("replicas now %s: re-sharing the pools", sorted(live))
            self.ownership = PoolOwnership(me=self.replica, replicas=live)
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

    def reset(self) -> None:
        """Forget the index (its proposals may be half-applied) and rebuild it from the truth."""
        self.index = RoutingIndex(policies=self.policies.current)
        self.seen = 0
        self._to_refresh = []

    async def sync(self) -> list[Decision]:
        """Feed the index what changed since the last revision seen; its proposals. The
        first (re)builds the index from every waiting case: the collector is paused while
        it does (a million new objects would set off full collections again and again)."""
        if self.seen == 0 and gc.isenabled():
            gc.disable()
            try:
                return await self._sync()
            finally:
                gc.enable()
        return await self._sync()

    async def _sync(self) -> list[Decision]:
        async with self.sessions() as session:
            changes = await changes_since(session, self.seen, wanted=self.ownership.owns)
        now = self.clock()
        decisions: list[Decision] = []
        if changes.policy_document is not None:
            self.policies.current = policy_set_from_data(changes.policy_document)
            self.index.policies = self.policies.current
        for case_id in changes.settled:
            self.index.forget(case_id)
        for case in changes.cases:
            decisions += self._apply_case(case, now=now)
        for agent in changes.agents:
            decisions += self.index.upsert_agent(agent_from_row(agent), now=now)
        self.seen = changes.revision
        if len(changes.cases) >= FREEZE_AFTER_CASES:
            settle_long_lived()
        self.built = True
        return decisions

    async def refresh(self, decision: Decision) -> list[Decision]:
        """The rows refused a proposal: read the agent and then the case again (the case
        forgotten first, so that the agent's record is not offered it again unread)."""
        self.conflicts += 1
        now = self.clock()
        self.index.forget(decision.case_id)
        async with self.sessions() as session:
            case = await session.get(CaseRow, decision.case_id)
            agent = await session.get(AgentRow, decision.agent_id)
        decisions: list[Decision] = []
        if agent is not None:
            decisions += self.index.upsert_agent(agent_from_row(agent), now=now)
        if case is not None:
            decisions += self._apply_case(case, now=now)
        return decisions

    def _apply_case(self, case: CaseRow, *, now: datetime) -> list[Decision]:
        if case.state == ItemState.WAITING.value and self.ownership.owns(case.pool):
            return self.index.upsert_case(item_from_row(case), now=now)
        self.index.forget(case.case_id)
        return []

    async def _commit_batch(self, batch: list[Decision]) -> list[Decision]:
        """Commit ``batch`` together; if that fails, one by one. The refused decisions."""
        try:
            async with self.units.begin() as uow:
                offers = await self.writer.commit(uow, batch, now=self.clock())
            self.offers_committed += len(offers.made)
            return offers.refused
        except Exception:
            if len(batch) == 1:
                self.reset()
                raise
            log.warning("a batch of %d offers failed; committing one by one", len(batch))
        refused: list[Decision] = []
        for decision in batch:
            refused.extend(await self._commit_batch([decision]))
        return refused

    def _arrival_committed(self, offered: int, refused: list[Decision]) -> None:
        self.offers_committed += offered
        self._refresh_later(refused)

    def _refresh_later(self, decisions: list[Decision]) -> None:
        if decisions:
            self._to_refresh.extend(decisions)
            self.wake()
