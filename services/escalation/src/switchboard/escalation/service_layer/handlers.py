"""Escalation's handler tables: which use case runs for each event it reads and each of its
durable timers."""

from __future__ import annotations

from collections.abc import Mapping

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import (
    AgentReplied,
    CaseAssigned,
    CaseOffered,
    CaseOpened,
    CaseQueued,
    CaseReopened,
    CaseResolved,
    CaseWaitEstimated,
    ContactReceived,
    CustomerErasureRequested,
    DetractorAlerted,
    ReplyDeliveryChanged,
    StaffingRecovered,
    StaffingShortfall,
)
from switchboard.escalation.service_layer import (
    breach_predictions,
    cases,
    customer_erasure,
    escalations,
    problems,
    sla_clocks,
    staffing_alerts,
    triggers,
)
from switchboard.escalation.service_layer.unit_of_work import EscalationUnitOfWork
from switchboard.servicekit.consumer import Handler
from switchboard.servicekit.timers import BatchTimerHandler, TimerHandler


async def receive_contact(message: Envelope[ContactReceived], uow: EscalationUnitOfWork) -> None:
    """A contact moves its case's clocks and triggers, and counts towards shared problems."""
    await cases.receive_contact(message, uow)
    await problems.count_contact(message, uow)


EVENT_HANDLERS: Mapping[type[Event], Handler] = {
    CaseOpened: cases.open_case,
    ContactReceived: receive_contact,
    CaseReopened: cases.reopen_case,
    CaseQueued: cases.requeue_case,
    CaseWaitEstimated: breach_predictions.weigh_wait,
    CaseOffered: breach_predictions.clear_risk,
    CaseAssigned: cases.record_assignment,
    AgentReplied: cases.record_reply,
    CaseResolved: cases.resolve_case,
    DetractorAlerted: triggers.escalate_detractor,
    ReplyDeliveryChanged: triggers.escalate_failed_delivery,
    StaffingShortfall: staffing_alerts.alert_coordinators,
    StaffingRecovered: staffing_alerts.resolve_on_recovery,
    CustomerErasureRequested: customer_erasure.erase_customer,
}
TIMER_HANDLERS: Mapping[str, TimerHandler] = {
    sla_clocks.SLA_TIMER: sla_clocks.fire_sla_clock,
    escalations.ACK_TIMER: escalations.escalate_unacknowledged,
    triggers.VIP_TIMER: triggers.escalate_waiting_vip,
}
TIMER_BATCH_HANDLERS: Mapping[str, BatchTimerHandler] = {
    # SLA clocks fall due by the thousand (a Monday morning, an outage): the poller hands
    # over every claimed timer of the kind at once.
    sla_clocks.SLA_TIMER: sla_clocks.fire_sla_clocks,
}
