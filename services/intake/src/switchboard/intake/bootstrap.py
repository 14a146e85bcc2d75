"""Intake's definition: what servicekit builds and runs it from. Nothing is built at import
time; ``intake_dependencies`` runs once per process, when the service is assembled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import partial

from switchboard.contracts.events import REGISTRY
from switchboard.contracts.topics import CASES
from switchboard.intake.adapters.adapter_directory import AdapterDirectory
from switchboard.intake.adapters.orm import Base
from switchboard.intake.domain.channel_adapters import Provider
from switchboard.intake.domain.language import ContactLanguageDetector
from switchboard.intake.domain.priority import PriorityPolicy
from switchboard.intake.migrations import VERSIONS_DIR
from switchboard.intake.service_layer.channel_adapters import seal_stored_secrets
from switchboard.intake.service_layer.handlers import EVENT_HANDLERS
from switchboard.intake.service_layer.replies import OUTBOUND_STREAM, deliveries_settled
from switchboard.intake.service_layer.unit_of_work import IntakeDeps
from switchboard.intake.settings import IntakeSettings
from switchboard.servicekit.deliveries import DeliverySender, RetryPolicy
from switchboard.servicekit.runtime import Worker
from switchboard.servicekit.service import Migrations, Resources, ServiceDefinition
from switchboard.servicekit.service.definition import StartStep
from switchboard.servicekit.unit_of_work import UnitsOfWork


def intake_dependencies(
    settings: IntakeSettings,
    resources: Resources,
    *,
    detector: ContactLanguageDetector | None = None,
) -> IntakeDeps:
    """``detector``: one already built (tests share one; building one takes seconds)."""
    secret_box = settings.secret_box()
    return IntakeDeps(
        sessions=resources.sessions,
        detector=detector
        or ContactLanguageDetector(
            languages=settings.languages, min_confidence=settings.language_min_confidence
        ),
        priorities=PriorityPolicy(
            channel_defaults=settings.channel_priorities, vip_floor=settings.vip_priority
        ),
        reopen_window=settings.reopen_window,
        default_region=settings.default_region,
        secret_box=secret_box,
        previous_secret_grace=settings.previous_secret_grace,
        adapters=AdapterDirectory(
            resources.sessions,
            box=secret_box,
            ttl_seconds=settings.adapter_cache_seconds,
            api_bases={
                Provider.TELEGRAM: settings.telegram_api_base,
                Provider.TWILIO: settings.twilio_api_base,
                Provider.WHATSAPP: settings.meta_graph_base,
                Provider.MESSENGER: settings.meta_graph_base,
                Provider.INSTAGRAM: settings.meta_graph_base,
            },
        ),
        accept_batch_size=settings.accept_batch_size,
        mail_domain=settings.mail_domain,
        outbound_retry=RetryPolicy(
            first_delay=timedelta(seconds=settings.outbound_first_retry_seconds),
            max_delay=timedelta(seconds=settings.outbound_max_retry_seconds),
            max_attempts=settings.outbound_max_attempts,
        ),
        outbound_timeout_seconds=settings.outbound_timeout_seconds,
        smtp_listener=settings.smtp_listener(),
        public_base_url=settings.public_base_url,
    )


def group_commit_and_replies(deps: IntakeDeps) -> Sequence[Worker]:
    """The group commit of accepted contacts, and the sender of replies to adapters."""
    return [
        deps.batcher,
        DeliverySender(
            units=UnitsOfWork(deps.sessions, deps),
            endpoint_of=deps.adapters.outbound_endpoint,
            retry=deps.outbound_retry,
            on_settled=deliveries_settled,
            streams=(OUTBOUND_STREAM,),
            timeout_seconds=deps.outbound_timeout_seconds,
        ),
    ]


def seal_secrets_under_the_first_key(deps: IntakeDeps) -> Sequence[StartStep]:
    return [partial(seal_stored_secrets, sessions=deps.sessions, box=deps.secret_box)]


DEFINITION = ServiceDefinition(
    name="intake",
    settings=IntakeSettings,
    migrations=Migrations(VERSIONS_DIR, Base.metadata),
    registry=REGISTRY,
    dependencies=intake_dependencies,
    writes=(CASES,),
    handlers=EVENT_HANDLERS,
    workers=group_commit_and_replies,
    start_steps=seal_secrets_under_the_first_key,
)
