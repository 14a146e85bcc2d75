"""Feedback declared once: its settings, schema, the events it reads and writes, the use
case of each event and timer, and the dependencies every unit of work carries."""

from __future__ import annotations

from collections.abc import Sequence

from switchboard.contracts.events import REGISTRY
from switchboard.contracts.topics import FEEDBACK_ALERTS, SURVEYS
from switchboard.feedback.adapters.orm import Base
from switchboard.feedback.adapters.rollup_folder import RollupFolder
from switchboard.feedback.migrations import VERSIONS_DIR
from switchboard.feedback.service_layer.handlers import EVENT_HANDLERS, TIMER_HANDLERS
from switchboard.feedback.service_layer.unit_of_work import FeedbackDeps
from switchboard.feedback.settings import FeedbackSettings
from switchboard.servicekit.personal_keys import PersonalKeys
from switchboard.servicekit.runtime import Worker
from switchboard.servicekit.service import Migrations, Resources, ServiceDefinition


def feedback_dependencies(settings: FeedbackSettings, resources: Resources) -> FeedbackDeps:
    folder = RollupFolder(
        resources.sessions,
        batch=settings.rollup_fold_batch,
        pause_seconds=settings.rollup_fold_seconds,
    )
    return FeedbackDeps(
        settings=settings, rollup_folder=folder, personal_keys=personal_keys(settings)
    )


def personal_keys(settings: FeedbackSettings) -> PersonalKeys | None:
    if settings.intake_url is None:
        return None
    return PersonalKeys(
        url=f"{settings.intake_url.rstrip('/')}/v1/personal-keys/{{key_id}}",
        token=settings.service_token(),
    )


def workers(deps: FeedbackDeps) -> Sequence[Worker]:
    return (deps.rollup_folder,) if deps.rollup_folder else ()


DEFINITION = ServiceDefinition(
    name="feedback",
    settings=FeedbackSettings,
    migrations=Migrations(VERSIONS_DIR, Base.metadata),
    registry=REGISTRY,
    dependencies=feedback_dependencies,
    writes=(SURVEYS, FEEDBACK_ALERTS),
    handlers=EVENT_HANDLERS,
    timers=TIMER_HANDLERS,
    workers=workers,
)
