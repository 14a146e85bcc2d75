"""Which use case each event read and each durable timer runs."""

from __future__ import annotations

from collections.abc import Mapping

from switchboard.contracts.base import Event
from switchboard.contracts.events import (
    AgentReplied,
    CaseOpened,
    CaseReopened,
    CaseResolved,
    CustomerErasureRequested,
    CustomerMerged,
    SlaAchieved,
    SlaBreached,
    SurveyDeliveryChanged,
)
from switchboard.feedback.service_layer.cases import (
    record_agent_replied,
    record_case_opened,
    record_case_reopened,
    record_case_resolved,
    record_sla_outcome,
)
from switchboard.feedback.service_layer.customer_erasure import erase_customer
from switchboard.feedback.service_layer.customers import merge_customers
from switchboard.feedback.service_layer.survey_deliveries import record_survey_delivery
from switchboard.feedback.service_layer.surveys import SURVEY_DUE, send_due_survey
from switchboard.servicekit.consumer import Handler
from switchboard.servicekit.timers import TimerHandler

EVENT_HANDLERS: Mapping[type[Event], Handler] = {
    CaseOpened: record_case_opened,
    CaseReopened: record_case_reopened,
    AgentReplied: record_agent_replied,
    CaseResolved: record_case_resolved,
    SlaAchieved: record_sla_outcome,
    SlaBreached: record_sla_outcome,
    CustomerMerged: merge_customers,
    CustomerErasureRequested: erase_customer,
    SurveyDeliveryChanged: record_survey_delivery,
}

TIMER_HANDLERS: Mapping[str, TimerHandler] = {SURVEY_DUE: send_due_survey}
