"""What escalation does when something happens to a case: its clocks start, pause, count
again and stop; its priority picks another SLA policy; resolving it ends its escalations.

Each handler runs in the consumer's transaction, together with the inbox record, the
outbox rows, the timers and the webhook deliveries it writes.
"""

from __future__ import annotations

from datetime import datetime

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import (
    AgentReplied,
    CaseAssigned,
    CaseOpened,
    CaseQueued,
    CaseReopened,
    CaseResolved,
    ContactReceived,
)
from switchboard.contracts.events.cases import Direction, ReopenReason
from switchboard.contracts.events.common import Actor, ActorKind
from switchboard.escalation.adapters import repository
from switchboard.escalation.adapters.config_store import LoadedConfig
from switchboard.escalation.adapters.orm import CaseRow
from switchboard.escalation.domain.cases import CaseStatus
from switchboard.escalation.domain.escalation import TriggerKind
from switchboard.escalation.domain.sla import Metric
from switchboard.escalation.service_layer import (
    breach_predictions,
    escalations,
    sla_clocks,
    triggers,
)
from switchboard.escalation.service_layer.unit_of_work import EscalationUnitOfWork


async def open_case(message: Envelope[CaseOpened], uow: EscalationUnitOfWork) -> None:
    opened = message.data
    if await uow.session.get(CaseRow, opened.case_id) is not None:
        return
    case = CaseRow(
        case_id=opened.case_id,
        customer_id=opened.customer_id,
        region=opened.region,
        channel=opened.channel.value,
        priority=int(opened.priority),
        customer_tier=opened.customer_tier,
        vip=opened.vip,
        status=CaseStatus.OPEN.value,
    )
    uow.session.add(case)
    loaded = await uow.deps.config.current(uow.session)
    await sla_clocks.start_case_clocks(uow=uow, case=case, loaded=loaded, at=opened.opened_at)
    if loaded.book.vip.applies_to(customer_tier=opened.customer_tier, vip=opened.vip):
        await uow.schedule(
            triggers.VIP_TIMER, opened.case_id, opened.opened_at + loaded.book.vip.wait
        )


async def receive_contact(message: Envelope[ContactReceived], uow: EscalationUnitOfWork) -> None:
    contact = message.data
    case = await repository.case_for_update(uow.session, contact.case_id)
    if case is None or contact.direction is not Direction.INBOUND:
        return
    loaded = await uow.deps.config.current(uow.session)
    at = contact.received_at
    if case.status == CaseStatus.WAITING_ON_CUSTOMER:
        case.status = CaseStatus.OPEN.value
        await sla_clocks.resume_clocks(uow=uow, case=case, loaded=loaded, at=at)
        await _start_next_response(uow, loaded, case, at)
    await triggers.escalate_if_flagged(uow=uow, loaded=loaded, case=case, message=message)


async def _start_next_response(
    uow: EscalationUnitOfWork, loaded: LoadedConfig, case: CaseRow, at: datetime
) -> None:
    if case.first_responded_at is None:
        return
    if await repository.open_clocks(uow.session, case.case_id, (Metric.NEXT_RESPONSE,)):
        return
    policy = loaded.book.sla_policy_named(case.sla_policy or "")
    if policy is not None:
        await sla_clocks.start_clock(
            uow=uow,
            case=case,
            policy=policy,
            metric=Metric.NEXT_RESPONSE,
            calendar=loaded.book.calendar_for(case.region),
            at=at,
        )


async def reopen_case(message: Envelope[CaseReopened], uow: EscalationUnitOfWork) -> None:
    reopened = message.data
    case = await repository.case_for_update(uow.session, reopened.case_id)
    if case is None:
        return
    loaded = await uow.deps.config.current(uow.session)
    case.status, case.priority = CaseStatus.OPEN.value, int(reopened.priority)
    policy = loaded.book.sla_policy_for(sla_clocks.case_profile(case))
    if policy is not None:
        case.sla_policy = policy.name
        await sla_clocks.start_clock(
            uow=uow,
            case=case,
            policy=policy,
            metric=Metric.RESOLUTION,
            calendar=loaded.book.calendar_for(case.region),
            at=reopened.reopened_at,
        )
    if reopened.reason is ReopenReason.REPEAT_CONTACT:
        await triggers.raise_for_case(
            uow=uow,
            loaded=loaded,
            case=case,
            trigger=TriggerKind.REPEAT_CONTACT,
            at=reopened.reopened_at,
            reason="repeat contact on a resolved case",
            raised_by=Actor(kind=ActorKind.CUSTOMER, id=case.customer_id),
            trigger_event_id=message.id,
        )


async def requeue_case(message: Envelope[CaseQueued], uow: EscalationUnitOfWork) -> None:
    """The case waits (again): no offer stands, and its priority may pick another policy,
    whose deadline the last wait forecast is weighed against."""
    queued = message.data
    case = await repository.case_for_update(uow.session, queued.case_id)
    if case is None:
        return
    case.offered_at = None
    if case.priority == int(queued.priority):
        return
    case.priority = int(queued.priority)
    loaded = await uow.deps.config.current(uow.session)
    await sla_clocks.retarget_case(uow=uow, case=case, loaded=loaded)
    await breach_predictions.predict_breach(uow=uow, case=case)


async def record_assignment(message: Envelope[CaseAssigned], uow: EscalationUnitOfWork) -> None:
    assigned = message.data
    case = await repository.case_for_update(uow.session, assigned.case_id)
    if case is not None:
        case.agent_id, case.team = assigned.agent_id, assigned.team


async def record_reply(message: Envelope[AgentReplied], uow: EscalationUnitOfWork) -> None:
    replied = message.data
    case = await repository.case_for_update(uow.session, replied.case_id)
    if case is None:
        return
    loaded = await uow.deps.config.current(uow.session)
    at = replied.replied_at
    case.first_responded_at = case.first_responded_at or at
    responses = (Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE)
    await _answered(uow, loaded, case, CaseStatus.WAITING_ON_CUSTOMER, responses, at)
    await sla_clocks.pause_clocks(uow=uow, case=case, loaded=loaded, at=at)


async def resolve_case(message: Envelope[CaseResolved], uow: EscalationUnitOfWork) -> None:
    resolved = message.data
    case = await repository.case_for_update(uow.session, resolved.case_id)
    if case is None:
        return
    loaded = await uow.deps.config.current(uow.session)
    at = resolved.resolved_at
    await _answered(uow, loaded, case, CaseStatus.RESOLVED, tuple(Metric), at)
    await escalations.resolve_for_case(uow=uow, loaded=loaded, case_id=case.case_id, at=at)


async def _answered(
    uow: EscalationUnitOfWork,
    loaded: LoadedConfig,
    case: CaseRow,
    status: CaseStatus,
    metrics: tuple[Metric, ...],
    at: datetime,
) -> None:
    """We answered (a reply, the resolution): the VIP rule and these clocks stop waiting."""
    case.status = status.value
    await uow.cancel(triggers.VIP_TIMER, case.case_id)
    await sla_clocks.complete_clocks(uow=uow, case=case, metrics=metrics, loaded=loaded, at=at)
