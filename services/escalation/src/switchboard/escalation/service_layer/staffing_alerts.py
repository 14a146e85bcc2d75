"""Pools' staffing alerts: raised for the region's coordinators when routing announces a
pool short, acknowledged by one of them, resolved when routing announces it staffed again.

Each change publishes its event on the escalations topic (so the live streams carry it)
and queues it for the region's coordinators' webhooks, in the same transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from prometheus_client import Counter

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import (
    StaffingAlertAcknowledged,
    StaffingAlertRaised,
    StaffingAlertResolved,
    StaffingRecovered,
    StaffingShortfall,
)
from switchboard.contracts.events.common import Actor, ActorKind
from switchboard.contracts.events.staffing import StaffingEvent
from switchboard.contracts.events.staffing_alerts import StaffingAlertResolvedBecause
from switchboard.escalation.adapters import staffing_alerts as store
from switchboard.escalation.adapters.config_store import LoadedConfig
from switchboard.escalation.adapters.staffing_alerts import StaffingAlertRow
from switchboard.escalation.domain.regions import can_act
from switchboard.escalation.domain.staffing_alert import (
    Shortfall,
    StaffingAlert,
    StaffingAlertError,
)
from switchboard.escalation.service_layer.escalations import InvalidTransition, NotAllowed
from switchboard.escalation.service_layer.notifications import publish_with_webhooks
from switchboard.escalation.service_layer.unit_of_work import EscalationUnitOfWork
from switchboard.servicekit.auth import Principal

STAFFING_ALERTS_RAISED = Counter(
    "escalation_staffing_alerts_raised_total", "Staffing alerts raised, by region", ["region"]
)


class StaffingAlertNotFound(LookupError):
    pass


def _shortfall(staffing: StaffingEvent) -> Shortfall:
    return Shortfall(
        agents_required=staffing.agents_required,
        agents_available=staffing.agents_available,
        expected_service_level=staffing.expected_service_level,
        assessed_at=staffing.assessed_at,
    )


def _coordinators(loaded: LoadedConfig, region: str) -> tuple[str, ...]:
    return tuple(c.coordinator_id for c in loaded.book.directory.covering(region))


async def alert_coordinators(
    message: Envelope[StaffingShortfall], uow: EscalationUnitOfWork
) -> None:
    """The pool is short: alert its region's coordinators, unless it is alerted already
    (then the alert takes the newer figures)."""
    short = message.data
    row = await store.active_alert_of_pool(uow.session, short.pool)
    if row is not None:
        store.write_alert(row, store.alert_from_row(row).still_short(_shortfall(short)))
        return
    at = short.assessed_at
    alert = StaffingAlert.raise_for(
        alert_id=str(uuid.uuid4()),
        pool=short.pool,
        region=short.region,
        shortfall=_shortfall(short),
        at=at,
    )
    row = StaffingAlertRow(
        alert_id=alert.alert_id,
        pool=short.pool,
        region=short.region,
        department=short.department,
        target_share=short.target_share,
        target_answer_seconds=short.target_answer_seconds,
        arrivals=short.arrivals,
        load_erlangs=short.load_erlangs,
        interval_start=short.interval_start,
        interval_seconds=short.interval_seconds,
        shortfall_event_id=message.id,
        raised_at=at,
    )
    store.write_alert(row, alert)
    uow.session.add(row)
    loaded = await uow.deps.config.current(uow.session)
    recipients = _coordinators(loaded, short.region)
    event = StaffingAlertRaised(
        alert_id=alert.alert_id,
        pool=short.pool,
        region=short.region,
        department=short.department,
        shortfall_event_id=message.id,
        interval_start=short.interval_start,
        interval_seconds=short.interval_seconds,
        arrivals=short.arrivals,
        load_erlangs=short.load_erlangs,
        target_share=short.target_share,
        target_answer_seconds=short.target_answer_seconds,
        agents_required=short.agents_required,
        agents_available=short.agents_available,
        expected_service_level=short.expected_service_level,
        targets=tuple(Actor(kind=ActorKind.COORDINATOR, id=c) for c in recipients),
        raised_at=at,
    )
    await publish_with_webhooks(uow=uow, loaded=loaded, event=event, recipients=recipients)
    STAFFING_ALERTS_RAISED.labels(short.region).inc()


async def resolve_on_recovery(
    message: Envelope[StaffingRecovered], uow: EscalationUnitOfWork
) -> None:
    """The pool has the agents its target needs again: its alert (if any) is resolved."""
    recovered = message.data
    row = await store.active_alert_of_pool(uow.session, recovered.pool)
    if row is None:
        return
    alert = store.alert_from_row(row).recover(at=recovered.assessed_at)
    store.write_alert(row, alert)
    loaded = await uow.deps.config.current(uow.session)
    event = StaffingAlertResolved(
        alert_id=row.alert_id,
        pool=row.pool,
        region=row.region,
        reason=StaffingAlertResolvedBecause.RECOVERED,
        recovered_event_id=message.id,
        agents_required=recovered.agents_required,
        agents_available=recovered.agents_available,
        resolved_at=recovered.assessed_at,
    )
    recipients = _coordinators(loaded, row.region)
    await publish_with_webhooks(uow=uow, loaded=loaded, event=event, recipients=recipients)


async def acknowledge(
    *,
    uow: EscalationUnitOfWork,
    alert_id: str,
    principal: Principal,
    note: str | None,
    at: datetime,
) -> StaffingAlertRow:
    """A coordinator of the alert's region (or an admin) takes it."""
    row = await store.alert_for_update(uow.session, alert_id)
    if row is None:
        raise StaffingAlertNotFound(alert_id)
    if not can_act(principal, row.region):
        raise NotAllowed(f"only a coordinator of region {row.region!r} may acknowledge this alert")
    try:
        acknowledged = store.alert_from_row(row).acknowledge(by=principal.subject, at=at)
    except StaffingAlertError as error:
        raise InvalidTransition(str(error)) from error
    store.write_alert(row, acknowledged)
    row.note = note
    loaded = await uow.deps.config.current(uow.session)
    event = StaffingAlertAcknowledged(
        alert_id=row.alert_id,
        pool=row.pool,
        region=row.region,
        by=Actor(kind=ActorKind.COORDINATOR, id=principal.subject),
        acknowledged_at=at,
        note=note,
    )
    recipients = _coordinators(loaded, row.region)
    await publish_with_webhooks(uow=uow, loaded=loaded, event=event, recipients=recipients)
    return row
