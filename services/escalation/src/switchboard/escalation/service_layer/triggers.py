"""What raises an escalation for a case besides an SLA clock (see ``sla_clocks``) and a
person (the API): a detractor survey, an angry or threatening message, a repeat contact,
a VIP customer still waiting for a first response, a reply that could not be delivered."""

from __future__ import annotations

from datetime import datetime

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import ContactReceived, DetractorAlerted, ReplyDeliveryChanged
from switchboard.contracts.events.cases import DeliveryState
from switchboard.contracts.events.common import Actor, ActorKind
from switchboard.escalation.adapters import repository
from switchboard.escalation.adapters.config_store import LoadedConfig
from switchboard.escalation.adapters.orm import CaseRow
from switchboard.escalation.domain.cases import CaseStatus
from switchboard.escalation.domain.escalation import TriggerKind
from switchboard.escalation.domain.message_classifier import MessageFlag
from switchboard.escalation.service_layer import escalations
from switchboard.escalation.service_layer.escalations import RaiseRequest
from switchboard.escalation.service_layer.personal_fields import contact_text
from switchboard.escalation.service_layer.unit_of_work import EscalationUnitOfWork
from switchboard.servicekit.timers import Timer

VIP_TIMER = "vip-waiting"


async def raise_for_case(
    *,
    uow: EscalationUnitOfWork,
    loaded: LoadedConfig,
    case: CaseRow,
    trigger: TriggerKind,
    at: datetime,
    reason: str,
    raised_by: Actor,
    trigger_event_id: str | None = None,
    preferred_policy: str | None = None,
) -> None:
    """Raise an escalation of a case escalation knows; the escalation policy named by the
    case's SLA policy unless the caller prefers another."""
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
    await escalations.raise_escalation(uow=uow, loaded=loaded, request=request, at=at)


async def escalate_if_flagged(
    *,
    uow: EscalationUnitOfWork,
    loaded: LoadedConfig,
    case: CaseRow,
    message: Envelope[ContactReceived],
) -> None:
    """The customer's message reads angry or threatening: escalate, naming what they wrote."""
    contact = message.data
    text = await contact_text(uow, contact)
    assessment = uow.deps.classifier.assess(text, language=contact.language)
    if not assessment.is_flagged:
        return
    threatening = MessageFlag.THREATENING in assessment.flags
    rules = ", ".join(sorted({match.rule for match in assessment.matches}))[:500]
    await raise_for_case(
        uow=uow,
        loaded=loaded,
        case=case,
        trigger=TriggerKind.THREATENING_MESSAGE if threatening else TriggerKind.ANGRY_MESSAGE,
        at=contact.received_at,
        reason=f"{'threatening' if threatening else 'angry'} message ({rules})",
        raised_by=Actor(kind=ActorKind.CUSTOMER, id=case.customer_id),
        trigger_event_id=message.id,
    )


async def escalate_detractor(
    message: Envelope[DetractorAlerted], uow: EscalationUnitOfWork
) -> None:
    """A survey answer below the threshold: escalate, even for a case escalation never saw."""
    alert = message.data
    case = await uow.session.get(CaseRow, alert.case_id)
    loaded = await uow.deps.config.current(uow.session)
    request = RaiseRequest(
        case_id=alert.case_id,
        region=alert.region,
        priority=case.priority if case else 3,
        trigger=TriggerKind.DETRACTOR,
        raised_by=Actor(kind=ActorKind.SYSTEM, id="feedback"),
        customer_id=alert.customer_id,
        vip=alert.vip,
        reason=(alert.comment or "detractor survey answer")[:2000],
        trigger_event_id=message.id,
    )
    await escalations.raise_escalation(uow=uow, loaded=loaded, request=request, at=alert.raised_at)


async def escalate_waiting_vip(timer: Timer, uow: EscalationUnitOfWork) -> None:
    """The VIP rule's wait is over and nobody answered yet."""
    case = await repository.case_for_update(uow.session, timer.key)
    if case is None or case.first_responded_at is not None or case.status != CaseStatus.OPEN:
        return
    await raise_for_case(
        uow=uow,
        loaded=await uow.deps.config.current(uow.session),
        case=case,
        trigger=TriggerKind.VIP_WAITING,
        at=uow.deps.clock(),
        reason="VIP customer still waiting for a first response",
        raised_by=escalations.SYSTEM,
    )


async def escalate_failed_delivery(
    message: Envelope[ReplyDeliveryChanged], uow: EscalationUnitOfWork
) -> None:
    """A reply to the customer failed for good (after intake's retries, or as the adapter
    reported): escalate, so someone reaches the customer another way."""
    changed = message.data
    if changed.state is not DeliveryState.FAILED:
        return
    loaded = await uow.deps.config.current(uow.session)
    case = await uow.session.get(CaseRow, changed.case_id)
    request = RaiseRequest(
        case_id=changed.case_id,
        region=changed.region,
        priority=case.priority if case else 3,
        trigger=TriggerKind.REPLY_DELIVERY_FAILED,
        raised_by=Actor(kind=ActorKind.SYSTEM, id="intake"),
        customer_id=changed.customer_id,
        vip=case.vip if case else False,
        reason=f"reply {changed.reply_id} was not delivered: {changed.reason or 'failed'}"[:2000],
        trigger_event_id=message.id,
    )
    await escalations.raise_escalation(
        uow=uow, loaded=loaded, request=request, at=changed.changed_at
    )
