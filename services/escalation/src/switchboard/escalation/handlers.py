"""Event and timer handlers: what escalation does when something happens to a case.

Each runs inside the consumer's (or the timer poller's) transaction, together with the
inbox record, the outbox rows, the timers and the webhook deliveries it writes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import (
    AgentReplied,
    CaseAssigned,
    CaseOpened,
    CaseQueued,
    CaseReopened,
    CaseResolved,
    ContactReceived,
    DetractorAlerted,
)
from switchboard.contracts.events.cases import Direction, ReopenReason
from switchboard.contracts.events.common import Actor, ActorKind
from switchboard.escalation.adapters import repository
from switchboard.escalation.adapters.config_store import ConfigStore, LoadedConfig
from switchboard.escalation.adapters.orm import CaseRow
from switchboard.escalation.domain.escalation import TriggerKind
from switchboard.escalation.domain.sla import Metric
from switchboard.escalation.domain.triggers import MessageClassifier, MessageFlag
from switchboard.escalation.service_layer import escalations, sla_clocks
from switchboard.escalation.service_layer.escalations import RaiseRequest
from switchboard.servicekit import timers
from switchboard.servicekit.db.types import utcnow
from switchboard.servicekit.timers import Timer

VIP_TIMER = "vip-waiting"
OPEN, WAITING_ON_CUSTOMER, RESOLVED = "open", "waiting_on_customer", "resolved"
CUSTOMER = ActorKind.CUSTOMER
EventHandler = Callable[[AsyncSession, Envelope[Any]], Awaitable[None]]
TimerHandler = Callable[[AsyncSession, Timer], Awaitable[None]]
BatchTimerHandler = Callable[[AsyncSession, list[Timer]], Awaitable[None]]


class EscalationHandlers:
    def __init__(
        self,
        *,
        config: ConfigStore,
        classifier: MessageClassifier,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._config = config
        self._classifier = classifier
        self._now = now

    def event_handlers(self) -> Mapping[type[Event], EventHandler]:
        return {
            CaseOpened: self.open_case,
            ContactReceived: self.receive_contact,
            CaseReopened: self.reopen_case,
            CaseQueued: self.requeue_case,
            CaseAssigned: self.record_assignment,
            AgentReplied: self.record_reply,
            CaseResolved: self.resolve_case,
            DetractorAlerted: self.escalate_detractor,
        }

    def timer_handlers(self) -> Mapping[str, TimerHandler]:
        return {
            sla_clocks.SLA_TIMER: self.fire_sla_clock,
            escalations.ACK_TIMER: self.escalate_unacknowledged,
            VIP_TIMER: self.escalate_waiting_vip,
        }

    def timer_batch_handlers(self) -> Mapping[str, BatchTimerHandler]:
        """Kinds that fall due by the thousand: the poller hands over every claimed timer of
        the kind at once (`TimerPoller(batch_handlers=...)`); `timer_handlers()` keeps the
        one-at-a-time handler for pollers built without them."""
        return {sla_clocks.SLA_TIMER: self.fire_sla_clocks}

    async def open_case(self, session: AsyncSession, envelope: Envelope[CaseOpened]) -> None:
        event = envelope.data
        if await session.get(CaseRow, event.case_id) is not None:
            return
        case = CaseRow(
            case_id=event.case_id,
            customer_id=event.customer_id,
            region=event.region,
            channel=event.channel.value,
            priority=int(event.priority),
            customer_tier=event.customer_tier,
            vip=event.vip,
            language=event.language,
            status=OPEN,
            opened_at=event.opened_at,
            updated_at=event.opened_at,
        )
        session.add(case)
        loaded = await self._config.current(session)
        await sla_clocks.start_case_clocks(
            session=session, case=case, loaded=loaded, at=event.opened_at
        )
        if loaded.book.vip.applies_to(customer_tier=event.customer_tier, vip=event.vip):
            await timers.schedule(
                session,
                kind=VIP_TIMER,
                key=event.case_id,
                due_at=event.opened_at + loaded.book.vip.wait,
            )

    async def receive_contact(
        self, session: AsyncSession, envelope: Envelope[ContactReceived]
    ) -> None:
        event = envelope.data
        case = await repository.case_for_update(session, event.case_id)
        if case is None or event.direction is not Direction.INBOUND:
            return
        loaded = await self._config.current(session)
        at = event.received_at
        if case.status == WAITING_ON_CUSTOMER:
            case.status = OPEN
            await sla_clocks.resume_clocks(session=session, case=case, loaded=loaded, at=at)
            await self._start_next_response(session, case, at)
        await self._escalate_if_flagged(session, case, event, envelope.id)

    async def _start_next_response(
        self, session: AsyncSession, case: CaseRow, at: datetime
    ) -> None:
        if case.first_responded_at is None:
            return
        if await repository.open_clocks(session, case.case_id, (Metric.NEXT_RESPONSE,)):
            return
        loaded = await self._config.current(session)
        policy = loaded.book.sla_policy_named(case.sla_policy or "")
        if policy is not None:
            await sla_clocks.start_clock(
                session=session,
                case=case,
                policy=policy,
                metric=Metric.NEXT_RESPONSE,
                calendar=loaded.book.calendar_for(case.region),
                at=at,
            )

    async def _escalate_if_flagged(
        self, session: AsyncSession, case: CaseRow, event: ContactReceived, event_id: str
    ) -> None:
        assessment = self._classifier.assess(event.text, language=event.language)
        if not assessment.is_flagged:
            return
        threatening = MessageFlag.THREATENING in assessment.flags
        rules = ", ".join(sorted({match.rule for match in assessment.matches}))[:500]
        await self._raise(
            session,
            case,
            TriggerKind.THREATENING_MESSAGE if threatening else TriggerKind.ANGRY_MESSAGE,
            at=event.received_at,
            reason=f"{'threatening' if threatening else 'angry'} message ({rules})",
            raised_by=Actor(kind=CUSTOMER, id=case.customer_id),
            trigger_event_id=event_id,
        )

    async def reopen_case(self, session: AsyncSession, envelope: Envelope[CaseReopened]) -> None:
        event = envelope.data
        case = await repository.case_for_update(session, event.case_id)
        if case is None:
            return
        loaded = await self._config.current(session)
        case.status, case.priority, case.updated_at = OPEN, int(event.priority), event.reopened_at
        policy = loaded.book.sla_policy_for(sla_clocks.case_profile(case))
        if policy is not None:
            case.sla_policy = policy.name
            await sla_clocks.start_clock(
                session=session,
                case=case,
                policy=policy,
                metric=Metric.RESOLUTION,
                calendar=loaded.book.calendar_for(case.region),
                at=event.reopened_at,
            )
        if event.reason is ReopenReason.REPEAT_CONTACT:
            await self._raise(
                session,
                case,
                TriggerKind.REPEAT_CONTACT,
                at=event.reopened_at,
                reason="repeat contact on a resolved case",
                raised_by=Actor(kind=CUSTOMER, id=case.customer_id),
                trigger_event_id=envelope.id,
            )

    async def requeue_case(self, session: AsyncSession, envelope: Envelope[CaseQueued]) -> None:
        event = envelope.data
        case = await repository.case_for_update(session, event.case_id)
        if case is None or case.priority == int(event.priority):
            return
        case.priority = int(event.priority)
        loaded = await self._config.current(session)
        await sla_clocks.retarget_case(session=session, case=case, loaded=loaded)

    async def record_assignment(
        self, session: AsyncSession, envelope: Envelope[CaseAssigned]
    ) -> None:
        case = await repository.case_for_update(session, envelope.data.case_id)
        if case is not None:
            case.agent_id, case.team = envelope.data.agent_id, envelope.data.team

    async def record_reply(self, session: AsyncSession, envelope: Envelope[AgentReplied]) -> None:
        event = envelope.data
        case = await repository.case_for_update(session, event.case_id)
        if case is None:
            return
        loaded = await self._config.current(session)
        at = event.replied_at
        case.first_responded_at = case.first_responded_at or at
        case.status, case.updated_at = WAITING_ON_CUSTOMER, at
        await timers.cancel(session, kind=VIP_TIMER, key=case.case_id)
        await sla_clocks.complete_clocks(
            session=session,
            case=case,
            metrics=(Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE),
            loaded=loaded,
            at=at,
        )
        await sla_clocks.pause_clocks(session=session, case=case, loaded=loaded, at=at)

    async def resolve_case(self, session: AsyncSession, envelope: Envelope[CaseResolved]) -> None:
        event = envelope.data
        case = await repository.case_for_update(session, event.case_id)
        if case is None:
            return
        loaded = await self._config.current(session)
        case.status, case.updated_at = RESOLVED, event.resolved_at
        await timers.cancel(session, kind=VIP_TIMER, key=case.case_id)
        await sla_clocks.complete_clocks(
            session=session, case=case, metrics=tuple(Metric), loaded=loaded, at=event.resolved_at
        )
        await escalations.resolve_for_case(
            session=session, loaded=loaded, case_id=case.case_id, at=event.resolved_at
        )

    async def escalate_detractor(
        self, session: AsyncSession, envelope: Envelope[DetractorAlerted]
    ) -> None:
        event = envelope.data
        case = await session.get(CaseRow, event.case_id)
        loaded = await self._config.current(session)
        request = RaiseRequest(
            case_id=event.case_id,
            region=event.region,
            priority=case.priority if case else 3,
            trigger=TriggerKind.DETRACTOR,
            raised_by=Actor(kind=ActorKind.SYSTEM, id="feedback"),
            customer_id=event.customer_id,
            vip=event.vip,
            reason=(event.comment or "detractor survey answer")[:2000],
            trigger_event_id=envelope.id,
        )
        await escalations.raise_escalation(
            session=session, loaded=loaded, request=request, at=event.raised_at
        )

    async def fire_sla_clock(self, session: AsyncSession, timer: Timer) -> None:
        await self.fire_sla_clocks(session, [timer])

    async def fire_sla_clocks(self, session: AsyncSession, batch: list[Timer]) -> None:
        """Fire many SLA clock timers: one config lookup, set-based clock updates, one outbox
        insert and one timer upsert; then the (rare) escalations, one clock at a time."""
        loaded = await self._config.current(session)
        now = self._now()
        fired_clocks = await sla_clocks.fire_clocks(
            session=session, clock_ids=[timer.key for timer in batch], loaded=loaded, now=now
        )
        for fired in fired_clocks:
            if fired.to_escalate and fired.case_status != RESOLVED:
                await self._escalate_fired_clock(session, loaded, fired, now)

    async def _escalate_fired_clock(
        self,
        session: AsyncSession,
        loaded: LoadedConfig,
        fired: sla_clocks.FiredClock,
        now: datetime,
    ) -> None:
        case = await session.get(CaseRow, fired.case_id)
        if case is None:
            return
        breach = 1.0 in fired.to_escalate
        policy = loaded.book.sla_policy_named(fired.policy)
        await self._raise(
            session,
            case,
            TriggerKind.SLA_BREACH if breach else TriggerKind.SLA_WARNING,
            at=now,
            reason=f"{fired.metric} {'breached' if breach else 'at risk'}",
            raised_by=escalations.SYSTEM,
            trigger_event_id=None,
            preferred_policy=policy.escalation_policy if policy else None,
        )

    async def escalate_unacknowledged(self, session: AsyncSession, timer: Timer) -> None:
        loaded = await self._config.current(session)
        await escalations.escalate_if_unacknowledged(
            session=session, loaded=loaded, escalation_id=timer.key, now=self._now()
        )

    async def escalate_waiting_vip(self, session: AsyncSession, timer: Timer) -> None:
        case = await repository.case_for_update(session, timer.key)
        if case is None or case.first_responded_at is not None or case.status != OPEN:
            return
        await self._raise(
            session,
            case,
            TriggerKind.VIP_WAITING,
            at=self._now(),
            reason="VIP customer still waiting for a first response",
            raised_by=escalations.SYSTEM,
            trigger_event_id=None,
        )

    async def _raise(
        self,
        session: AsyncSession,
        case: CaseRow,
        trigger: TriggerKind,
        *,
        at: datetime,
        reason: str,
        raised_by: Actor,
        trigger_event_id: str | None,
        preferred_policy: str | None = None,
    ) -> None:
        loaded = await self._config.current(session)
        if preferred_policy is None and case.sla_policy:
            sla_policy = loaded.book.sla_policy_named(case.sla_policy)
            preferred_policy = sla_policy.escalation_policy if sla_policy else None
        request = RaiseRequest(
            case_id=case.case_id,
            region=case.region,
            priority=case.priority,
            trigger=trigger,
            raised_by=raised_by,
            customer_id=case.customer_id,
            vip=case.vip,
            reason=reason,
            trigger_event_id=trigger_event_id,
            preferred_policy=preferred_policy,
        )
        await escalations.raise_escalation(session=session, loaded=loaded, request=request, at=at)
