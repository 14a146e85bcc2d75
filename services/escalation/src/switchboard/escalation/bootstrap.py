"""Escalation declared once: its settings, schema, the events it reads and the topics it
writes, its handlers and timers, its dependencies, workers and start step. servicekit builds
the runtime, consumer, timer poller, relay, app and CLI from ``DEFINITION``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from switchboard.contracts.events import REGISTRY
from switchboard.contracts.topics import ESCALATIONS, PROBLEMS, SLA
from switchboard.escalation.adapters.config_store import ConfigFile, ConfigStore
from switchboard.escalation.adapters.live_feed import LiveFeed
from switchboard.escalation.adapters.orm import Base
from switchboard.escalation.adapters.problem_watch import ProblemWatch
from switchboard.escalation.adapters.webhook_endpoints import CoordinatorWebhooks
from switchboard.escalation.domain.message_classifier import KeywordClassifier
from switchboard.escalation.domain.problem_detection import DetectorSettings
from switchboard.escalation.migrations import VERSIONS_DIR
from switchboard.escalation.service_layer.handlers import (
    EVENT_HANDLERS,
    TIMER_BATCH_HANDLERS,
    TIMER_HANDLERS,
)
from switchboard.escalation.service_layer.notifications import COORDINATOR_WEBHOOKS
from switchboard.escalation.service_layer.unit_of_work import EscalationDeps
from switchboard.escalation.settings import EscalationSettings
from switchboard.servicekit.db.types import utcnow
from switchboard.servicekit.deliveries import DeliverySender, RetryPolicy
from switchboard.servicekit.personal_keys import PersonalKeys
from switchboard.servicekit.runtime import Worker
from switchboard.servicekit.service import Migrations, Resources, ServiceDefinition
from switchboard.servicekit.service.definition import StartStep
from switchboard.servicekit.unit_of_work import without_dependencies


def escalation_dependencies(
    settings: EscalationSettings,
    resources: Resources,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> EscalationDeps:
    config = ConfigStore(refresh_seconds=settings.config_refresh_seconds)
    return EscalationDeps(
        config=config,
        classifier=KeywordClassifier(),
        clock=clock,
        live_feed=LiveFeed(
            bootstrap_servers=settings.kafka,
            topic=ESCALATIONS.name,
            registry=REGISTRY,
        ),
        webhook_sender=DeliverySender(
            units=without_dependencies(resources.sessions),
            endpoint_of=CoordinatorWebhooks(config).endpoint_of,
            streams=(COORDINATOR_WEBHOOKS,),
            retry=RetryPolicy(
                first_delay=timedelta(seconds=settings.webhook_first_retry_seconds),
                max_delay=timedelta(seconds=settings.webhook_max_retry_seconds),
                max_attempts=settings.webhook_max_attempts,
            ),
            timeout_seconds=settings.webhook_timeout_seconds,
            poll_seconds=settings.webhook_poll_seconds,
        ),
        config_file=(
            ConfigFile(settings.config_file, config, resources.sessions)
            if settings.config_file
            else None
        ),
        problems=ProblemWatch(
            lexicon_cache=settings.problem_lexicon_cache,
            dictionaries=settings.problem_dictionaries,
            settings=DetectorSettings(
                window=timedelta(minutes=settings.problem_window_minutes),
                min_contacts=settings.problem_min_contacts,
            ),
        ),
        personal_keys=personal_keys(settings),
        breach_margin_share=settings.breach_margin_share,
    )


def personal_keys(settings: EscalationSettings) -> PersonalKeys:
    return PersonalKeys(
        url=f"{settings.intake_url}/v1/personal-keys/{{key_id}}", token=settings.service_token()
    )


def workers(deps: EscalationDeps) -> Sequence[Worker]:
    return (deps.webhook_sender, deps.live_feed)


def start_steps(deps: EscalationDeps) -> Sequence[StartStep]:
    steps: tuple[StartStep, ...] = (deps.problems.start_loading,)
    return (deps.config_file.activate, *steps) if deps.config_file else steps


DEFINITION = ServiceDefinition(
    name="escalation",
    settings=EscalationSettings,
    migrations=Migrations(VERSIONS_DIR, Base.metadata),
    registry=REGISTRY,
    dependencies=escalation_dependencies,
    writes=(SLA, ESCALATIONS, PROBLEMS),
    handlers=EVENT_HANDLERS,
    timers=TIMER_HANDLERS,
    timer_batch_handlers=TIMER_BATCH_HANDLERS,
    workers=workers,
    start_steps=start_steps,
)
