"""Every Switchboard event model, version 1, and the registry that knows them all."""

from switchboard.contracts.base import Event
from switchboard.contracts.events import (
    agent_status,
    assignments,
    cases,
    escalations,
    feedback_alerts,
    sla,
    surveys,
)
from switchboard.contracts.events.agent_status import AgentStatusChanged
from switchboard.contracts.events.assignments import (
    AgentReplied,
    CaseAssigned,
    CaseOffered,
    CaseQueued,
    CaseResolved,
    CaseTransferred,
    OfferDeclined,
    OfferExpired,
)
from switchboard.contracts.events.cases import (
    CaseOpened,
    CaseReopened,
    ContactReceived,
    CustomerMerged,
    ReplyDeliveryChanged,
    ReplyPosted,
)
from switchboard.contracts.events.escalations import (
    EscalationAcknowledged,
    EscalationEscalated,
    EscalationRaised,
    EscalationResolved,
)
from switchboard.contracts.events.feedback_alerts import DetractorAlerted
from switchboard.contracts.events.sla import SlaAchieved, SlaBreached, SlaWarned
from switchboard.contracts.events.surveys import SurveyAnswered, SurveyRequested
from switchboard.contracts.registry import Registry

ALL_EVENTS: tuple[type[Event], ...] = (
    *cases.EVENTS,
    *assignments.EVENTS,
    *agent_status.EVENTS,
    *sla.EVENTS,
    *escalations.EVENTS,
    *surveys.EVENTS,
    *feedback_alerts.EVENTS,
)

REGISTRY = Registry()
for _model in ALL_EVENTS:
    REGISTRY.register(_model)

__all__ = [
    "ALL_EVENTS",
    "REGISTRY",
    "AgentReplied",
    "AgentStatusChanged",
    "CaseAssigned",
    "CaseOffered",
    "CaseOpened",
    "CaseQueued",
    "CaseReopened",
    "CaseResolved",
    "CaseTransferred",
    "ContactReceived",
    "CustomerMerged",
    "DetractorAlerted",
    "EscalationAcknowledged",
    "EscalationEscalated",
    "EscalationRaised",
    "EscalationResolved",
    "OfferDeclined",
    "OfferExpired",
    "ReplyDeliveryChanged",
    "ReplyPosted",
    "SlaAchieved",
    "SlaBreached",
    "SlaWarned",
    "SurveyAnswered",
    "SurveyRequested",
]
