"""The events intake handles. The other events on their topics are not intake's business
and are passed over."""

from __future__ import annotations

from collections.abc import Mapping

from switchboard.contracts.base import Event
from switchboard.contracts.events import (
    CaseAssigned,
    CaseResolved,
    CaseTransferred,
    CustomerErasedByEscalation,
    CustomerErasedByFeedback,
    CustomerErasedByRouting,
    SurveyRequested,
)
from switchboard.intake.service_layer.customer_erasure import record_confirmation
from switchboard.intake.service_layer.holders import record_assignment, record_transfer
from switchboard.intake.service_layer.resolutions import record_resolution
from switchboard.intake.service_layer.survey_requests import send_survey_request
from switchboard.servicekit.consumer import Handler

EVENT_HANDLERS: Mapping[type[Event], Handler] = {
    CaseAssigned: record_assignment,
    CaseTransferred: record_transfer,
    CaseResolved: record_resolution,
    SurveyRequested: send_survey_request,
    CustomerErasedByRouting: record_confirmation,
    CustomerErasedByEscalation: record_confirmation,
    CustomerErasedByFeedback: record_confirmation,
}
