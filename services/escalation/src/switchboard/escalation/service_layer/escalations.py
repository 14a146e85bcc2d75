"""Raising, acknowledging, reassigning, resolving and moving escalations up.

Every state change publishes its event, queues its webhook deliveries and sets its
acknowledgement timer in the same transaction.
"""

from __future__ import annotations

import uuid
from collections import Counter as Tally
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import Counter

from switchboard.contracts.base import Event
from switchboard.contracts.events import (
    EscalationAcknowledged,
    EscalationEscalated,
    EscalationRaised,
    EscalationResolved,
)
from switchboard.contracts.events.common import Actor, ActorKind, Priority
from switchboard.contracts.events.escalations import (
    EscalatedBecause,
    RaisedBecause,
    ResolvedBecause,
)
from switchboard.escalation.adapters import repository
from switchboard.escalation.adapters.config_store import LoadedConfig
from switchboard.escalation.adapters.orm import CaseRow, EscalationRow
from switchboard.escalation.domain.escalation import (
    Escalation,
    EscalationError,
    EscalationStatus,
    TriggerKind,
)
from switchboard.escalation.domain.regions import can_act
from switchboard.escalation.service_layer.notifications import (
    enqueue_webhooks,
    publish_with_webhooks,
)
from switchboard.escalation.service_layer.personal_fields import EventText, sealed_text
from switchboard.escalation.service_layer.unit_of_work import EscalationUnitOfWork
from switchboard.servicekit.auth import Principal
from switchboard.servicekit.timers import Timer

ACK_TIMER = "escalation-ack"
SYSTEM = Actor(kind=ActorKind.SYSTEM, id="escalation")
QUOTING_TRIGGERS = frozenset(
    {TriggerKind.MANUAL, TriggerKind.DETRACTOR, TriggerKind.REPLY_DELIVERY_FAILED}
)
"""Triggers whose reason may quote the customer — a person's words, a survey comment, a
provider's delivery error — and goes out sealed; the others' reasons escalation composes."""
ESCALATIONS_RAISED = Counter(
    "escalation_escalations_raised_total", "Escalations raised, by trigger", ["trigger"]
)


class EscalationNotFound(LookupError):
    """No such escalation, or not one the caller may see (the two look the same)."""


class NotAllowed(PermissionError):
    pass


class InvalidTransition(ValueError):
    pass


@dataclass(frozen=True)
class RaiseRequest:
    case_id: str
    region: str
    priority: int
    trigger: TriggerKind
    raised_by: Actor
    customer_id: str | None = None
    vip: bool = False
    reason: str | None = None
    trigger_event_id: str | None = None
    preferred_policy: str | None = None


def _wire_trigger(trigger: TriggerKind) -> RaisedBecause:
    """The contract's name of a trigger: a threatening message goes out as an angry one
    (the reason says which); every other has the same name."""
    if trigger is TriggerKind.THREATENING_MESSAGE:
        return RaisedBecause.ANGRY_MESSAGE
    return RaisedBecause(trigger.value)


def _targets(loaded: LoadedConfig, escalation: Escalation) -> tuple[str, ...]:
    if escalation.assignee:
        return (escalation.assignee,)
    coordinators = loaded.book.directory.resolve_targets(
        escalation.level.targets, region=escalation.region
    )
    return tuple(c.coordinator_id for c in coordinators)


def _actors(coordinator_ids: tuple[str, ...]) -> tuple[Actor, ...]:
    return tuple(Actor(kind=ActorKind.COORDINATOR, id=i) for i in coordinator_ids)


def _region_recipients(loaded: LoadedConfig, region: str) -> tuple[str, ...]:
    return tuple(c.coordinator_id for c in loaded.book.directory.covering(region))


async def _schedule_ack_timer(uow: EscalationUnitOfWork, escalation: Escalation) -> None:
    if escalation.acknowledge_by is None:
        await uow.cancel(ACK_TIMER, escalation.escalation_id)
    else:
        await uow.schedule(ACK_TIMER, escalation.escalation_id, escalation.acknowledge_by)


async def _transitioned(
    uow: EscalationUnitOfWork,
    loaded: LoadedConfig,
    row: EscalationRow,
    escalation: Escalation,
    event: Event | None,
    recipients: tuple[str, ...] = (),
) -> EscalationRow:
    """The escalation's new state on its row, then its event published and queued for the
    recipients' webhooks, and its acknowledgement timer set (or dropped)."""
    repository.write_escalation(row, escalation)
    if event is not None:
        await publish_with_webhooks(uow=uow, loaded=loaded, event=event, recipients=recipients)
    await _schedule_ack_timer(uow, escalation)
    return row


def _coordinator(principal: Principal) -> Actor:
    return Actor(kind=ActorKind.COORDINATOR, id=principal.subject)


async def raise_escalation(
    *, uow: EscalationUnitOfWork, loaded: LoadedConfig, request: RaiseRequest, at: datetime
) -> EscalationRow | None:
    """Raise at the first level, unless the case already has an active escalation."""
    raised = await raise_escalations(uow=uow, loaded=loaded, requests=[request], at=at)
    if not raised:
        return None
    return await uow.session.get(EscalationRow, raised[0].escalation_id)


async def raise_escalations(
    *,
    uow: EscalationUnitOfWork,
    loaded: LoadedConfig,
    requests: Sequence[RaiseRequest],
    at: datetime,
) -> list[Escalation]:
    """Raise each request's escalation at the first level, unless its case already has an
    active one (or an earlier request of the same case just raised it); returns the raised.

    Set-based, for the SLA clocks that breach by the thousand: one locked read of the
    cases' active escalations, then one insert each for the rows, the events (with their
    webhook deliveries) and the acknowledgement timers."""
    active = await repository.cases_with_active_escalations(
        uow.session, [request.case_id for request in requests]
    )
    raised: list[tuple[RaiseRequest, Escalation]] = []
    for request in requests:
        if request.case_id in active:
            continue
        policy = loaded.book.escalation_policy_for(request.trigger, request.preferred_policy)
        if policy is None:
            continue
        active.add(request.case_id)
        escalation = Escalation.raise_for(
            escalation_id=str(uuid.uuid4()),
            case_id=request.case_id,
            region=request.region,
            trigger=request.trigger,
            policy=policy,
            at=at,
        )
        raised.append((request, escalation))
    if not raised:
        return []
    await repository.add_escalations(
        uow.session,
        [
            (
                escalation,
                {
                    "priority": request.priority,
                    "reason": request.reason,
                    "raised_by": f"{request.raised_by.kind}:{request.raised_by.id}",
                },
            )
            for request, escalation in raised
        ],
    )
    targets = [_targets(loaded, escalation) for _, escalation in raised]
    reasons = [await _reason(uow, request) for request, _ in raised]
    events = [
        _raised_event(request, escalation, recipients, reason)
        for (request, escalation), recipients, reason in zip(raised, targets, reasons, strict=True)
    ]
    envelopes = await uow.publish(*events)
    for envelope, recipients in zip(envelopes, targets, strict=True):
        await enqueue_webhooks(uow=uow, loaded=loaded, envelope=envelope, recipients=recipients)
    for trigger, count in Tally(request.trigger.value for request, _ in raised).items():
        ESCALATIONS_RAISED.labels(trigger).inc(count)
    await uow.schedule_many(
        ACK_TIMER,
        [(e.escalation_id, e.acknowledge_by, None) for _, e in raised if e.acknowledge_by],
    )
    return [escalation for _, escalation in raised]


async def _reason(uow: EscalationUnitOfWork, request: RaiseRequest) -> EventText:
    """The reason for the event: sealed under the customer's key when it may quote them."""
    if request.trigger not in QUOTING_TRIGGERS:
        return EventText(request.reason, None)
    return await sealed_text(
        uow, customer_id=request.customer_id, field="reason", text=request.reason
    )


async def _note(uow: EscalationUnitOfWork, row: EscalationRow, note: str | None) -> EventText:
    """A coordinator's note for the event, sealed under the case's customer's key."""
    case = await uow.session.get(CaseRow, row.case_id) if note else None
    customer_id = case.customer_id if case is not None else None
    return await sealed_text(uow, customer_id=customer_id, field="note", text=note)


def _raised_event(
    request: RaiseRequest, escalation: Escalation, targets: tuple[str, ...], reason: EventText
) -> EscalationRaised:
    assert escalation.acknowledge_by is not None
    return EscalationRaised(
        escalation_id=escalation.escalation_id,
        case_id=request.case_id,
        region=request.region,
        trigger=_wire_trigger(request.trigger),
        trigger_event_id=request.trigger_event_id,
        policy_id=escalation.policy.name,
        level=1,
        targets=_actors(targets),
        priority=Priority(request.priority),
        customer_id=request.customer_id,
        vip=request.vip,
        raised_by=request.raised_by,
        reason=reason.plain,
        sealed=reason.sealed,
        raised_at=escalation.raised_at,
        ack_deadline=escalation.acknowledge_by,
    )


async def _load_for_action(
    uow: EscalationUnitOfWork,
    loaded: LoadedConfig,
    escalation_id: str,
    principal: Principal | None,
) -> tuple[EscalationRow, Escalation]:
    row = await repository.escalation_for_update(uow.session, escalation_id)
    if row is None or (principal is not None and not principal.covers(row.region)):
        raise EscalationNotFound(escalation_id)
    if principal is not None and not can_act(principal, row.region):
        raise NotAllowed(f"{principal.role} may not act on escalations")
    policy = loaded.book.escalation_policy_named(row.policy)
    if policy is None:
        raise InvalidTransition(f"escalation policy {row.policy!r} no longer exists")
    return row, repository.escalation_from_row(row, policy)


async def acknowledge(
    *,
    uow: EscalationUnitOfWork,
    loaded: LoadedConfig,
    escalation_id: str,
    principal: Principal,
    note: str | None,
    at: datetime,
) -> EscalationRow:
    row, escalation = await _load_for_action(uow, loaded, escalation_id, principal)
    try:
        acknowledged = escalation.acknowledge(by=principal.subject)
    except EscalationError as error:
        raise InvalidTransition(str(error)) from error
    text = await _note(uow, row, note)
    event = EscalationAcknowledged(
        escalation_id=row.escalation_id,
        case_id=row.case_id,
        region=row.region,
        level=acknowledged.level_index + 1,
        by=_coordinator(principal),
        acknowledged_at=at,
        note=text.plain,
        sealed=text.sealed,
    )
    recipients = _region_recipients(loaded, row.region)
    return await _transitioned(uow, loaded, row, acknowledged, event, recipients)


async def reassign(
    *,
    uow: EscalationUnitOfWork,
    loaded: LoadedConfig,
    escalation_id: str,
    principal: Principal,
    to: str,
    at: datetime,
) -> EscalationRow:
    row, escalation = await _load_for_action(uow, loaded, escalation_id, principal)
    target = loaded.book.directory.get(to)
    if target is None or row.region not in target.regions:
        raise InvalidTransition(f"{to!r} is not a coordinator of region {row.region!r}")
    try:
        reassigned = escalation.reassign(to=to, at=at)
    except EscalationError as error:
        raise InvalidTransition(str(error)) from error
    assert reassigned.acknowledge_by is not None
    level = reassigned.level_index + 1
    event = EscalationEscalated(
        escalation_id=row.escalation_id,
        case_id=row.case_id,
        region=row.region,
        from_level=level,
        to_level=level,
        repeat=reassigned.cycle,
        reason=EscalatedBecause.MANUAL,
        targets=_actors((to,)),
        by=_coordinator(principal),
        escalated_at=at,
        ack_deadline=reassigned.acknowledge_by,
    )
    return await _transitioned(uow, loaded, row, reassigned, event, (to,))


async def resolve(
    *,
    uow: EscalationUnitOfWork,
    loaded: LoadedConfig,
    escalation_id: str,
    principal: Principal | None,
    note: str | None,
    at: datetime,
    because: ResolvedBecause = ResolvedBecause.MANUAL,
) -> EscalationRow:
    row, escalation = await _load_for_action(uow, loaded, escalation_id, principal)
    if escalation.status is EscalationStatus.RESOLVED:
        raise InvalidTransition(f"escalation {escalation_id} is already resolved")
    by = principal.subject if principal else SYSTEM.id
    resolved = escalation.resolve(by=by)
    text = await _note(uow, row, note)
    event = EscalationResolved(
        escalation_id=row.escalation_id,
        case_id=row.case_id,
        region=row.region,
        reason=because,
        by=_coordinator(principal) if principal else SYSTEM,
        resolved_at=at,
        note=text.plain,
        sealed=text.sealed,
    )
    recipients = _region_recipients(loaded, row.region)
    return await _transitioned(uow, loaded, row, resolved, event, recipients)


async def resolve_for_case(
    *, uow: EscalationUnitOfWork, loaded: LoadedConfig, case_id: str, at: datetime
) -> None:
    for row in await repository.active_escalations(uow.session, case_id):
        await resolve(
            uow=uow,
            loaded=loaded,
            escalation_id=row.escalation_id,
            principal=None,
            note=None,
            at=at,
            because=ResolvedBecause.CASE_RESOLVED,
        )


async def escalate_unacknowledged(timer: Timer, uow: EscalationUnitOfWork) -> None:
    """The acknowledgement timer fell due: move up a level (or start over), or stop."""
    loaded = await uow.deps.config.current(uow.session)
    now = uow.deps.clock()
    try:
        row, escalation = await _load_for_action(uow, loaded, timer.key, None)
    except (EscalationNotFound, InvalidTransition):
        return
    moved = escalation.escalate_if_unacknowledged(at=now)
    if moved == escalation:
        await _schedule_ack_timer(uow, escalation)
        return
    if moved.acknowledge_by is None:  # out of levels and repeats: it stays where it is
        await _transitioned(uow, loaded, row, moved, None)
        return
    targets = _targets(loaded, moved)
    event = EscalationEscalated(
        escalation_id=row.escalation_id,
        case_id=row.case_id,
        region=row.region,
        from_level=escalation.level_index + 1,
        to_level=moved.level_index + 1,
        repeat=moved.cycle,
        reason=EscalatedBecause.UNACKNOWLEDGED,
        targets=_actors(targets),
        by=SYSTEM,
        escalated_at=now,
        ack_deadline=moved.acknowledge_by,
    )
    await _transitioned(uow, loaded, row, moved, event, targets)
