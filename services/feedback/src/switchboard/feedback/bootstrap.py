"""Feedback declared once: its settings, schema, the events it reads and writes, the use
case of each event and timer, and the dependencies every unit of work carries."""

from __future__ import annotations

from switchboard.contracts.events import REGISTRY
from switchboard.contracts.topics import FEEDBACK_ALERTS, SURVEYS
from switchboard.feedback.adapters.orm import Base
from switchboard.feedback.migrations import VERSIONS_DIR
from switchboard.feedback.service_layer.handlers import EVENT_HANDLERS, TIMER_HANDLERS
from switchboard.feedback.service_layer.unit_of_work import FeedbackDeps
from switchboard.feedback.settings import FeedbackSettings
from switchboard.servicekit.service import Migrations, Resources, ServiceDefinition


def feedback_dependencies(settings: FeedbackSettings, _resources: Resources) -> FeedbackDeps:
    return FeedbackDeps(settings=settings)


DEFINITION = ServiceDefinition(
    name="feedback",
    settings=FeedbackSettings,
    migrations=Migrations(VERSIONS_DIR, Base.metadata),
    registry=REGISTRY,
    dependencies=feedback_dependencies,
    writes=(SURVEYS, FEEDBACK_ALERTS),
    handlers=EVENT_HANDLERS,
    timers=TIMER_HANDLERS,
)
