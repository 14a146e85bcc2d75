"""Every Switchboard event model (each version) and the registry that knows them all.

The plain names are the newest versions; older ones carry their version, e.g.
``EscalationRaisedV1``, and are read as the newest through their upcasters.
"""

from switchboard.contracts.base import Event
from switchboard.contracts.events import (
    agent_status,
    assignments,
    cases,
    erasure,
    escalations,
    escalations_v1,
    feedback_alerts,
    problems,
    sla,
    staffing,
    staffing_alerts,
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
    CaseWaitEstimated,
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
    SurveyDeliveryChanged,
)
from switchboard.contracts.events.erasure import (
    CustomerErased,
    CustomerErasedByEscalation,
    CustomerErasedByFeedback,
    CustomerErasedByIntake,
    CustomerErasedByRouting,
    CustomerErasureRequested,
)
from switchboard.contracts.events.escalations import (
    EscalationAcknowledged,
    EscalationEscalated,
    EscalationRaised,
    EscalationResolved,
)
from switchboard.contracts.events.escalations_v1 import EscalationRaised as EscalationRaisedV1
from switchboard.contracts.events.feedback_alerts import DetractorAlerted
from switchboard.contracts.events.problems import (
    ProblemAcknowledged,
    ProblemDetected,
    ProblemNoteAdded,
)
from switchboard.contracts.events.sla import (
    SlaAchieved,
    SlaBreached,
    SlaBreachPredicted,
    SlaRiskCleared,
    SlaWarned,
)
from switchboard.contracts.events.staffing import StaffingRecovered, StaffingShortfall
from switchboard.contracts.events.staffing_alerts import (
    StaffingAlertAcknowledged,
    StaffingAlertRaised,
    StaffingAlertResolved,
)
from switchboard.contracts.events.surveys import SurveyAnswered, SurveyRequested
from switchboard.contracts.registry import Registry

ALL_EVENTS: tuple[type[Event], ...] = (
    *cases.EVENTS,
    *assignments.EVENTS,
    *agent_status.EVENTS,
    *sla.EVENTS,
    *staffing.EVENTS,
    *escalations.EVENTS,
    *escalations_v1.EVENTS,
    *staffing_alerts.EVENTS,
    *problems.EVENTS,
    *surveys.EVENTS,
    *feedback_alerts.EVENTS,
    *erasure.EVENTS,
)

REGISTRY = Registry()
for _model in ALL_EVENTS:
    REGISTRY.register(_model)
REGISTRY.register_upcaster(EscalationRaised.event_type, 1, escalations_v1.raised_v1_to_v2)

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
    "CaseWaitEstimated",
    "ContactReceived",
    "CustomerErased",
    "CustomerErasedByEscalation",
    "CustomerErasedByFeedback",
    "CustomerErasedByIntake",
    "CustomerErasedByRouting",
    "CustomerErasureRequested",
    "CustomerMerged",
    "DetractorAlerted",
    "EscalationAcknowledged",
    "EscalationEscalated",
    "EscalationRaised",
    "EscalationRaisedV1",
    "EscalationResolved",
    "OfferDeclined",
    "OfferExpired",
    "ProblemAcknowledged",
    "ProblemDetected",
    "ProblemNoteAdded",
    "ReplyDeliveryChanged",
    "ReplyPosted",
    "SlaAchieved",
    "SlaBreachPredicted",
    "SlaBreached",
    "SlaRiskCleared",
    "SlaWarned",
    "StaffingAlertAcknowledged",
    "StaffingAlertRaised",
    "StaffingAlertResolved",
    "StaffingRecovered",
    "StaffingShortfall",
    "SurveyAnswered",
    "SurveyDeliveryChanged",
    "SurveyRequested",
]
