"""The composition root: builds engine, sessions, producer, relay, consumer and the domain
services from settings. Nothing is built at import time; nothing starts here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.contracts.topics import ASSIGNMENTS, CASES
from switchboard.intake import handlers
from switchboard.intake.accept_batcher import AcceptBatcher
from switchboard.intake.adapter_registry import AdapterDirectory, seal_stored_secrets
from switchboard.intake.adapters.orm import metadata
from switchboard.intake.adapters.secret_box import SecretBox
from switchboard.intake.domain.language import ContactLanguageDetector
from switchboard.intake.domain.priority import PriorityPolicy
from switchboard.intake.entrypoints.consumer import resolutions_consumer
from switchboard.intake.migrations import VERSIONS_DIR
from switchboard.intake.settings import IntakeSettings
from switchboard.servicekit.db import create_engine, session_factory
from switchboard.servicekit.kafka import ensure_topics, make_producer
from switchboard.servicekit.migrations import migrate
from switchboard.servicekit.outbox import OutboxRelay
from switchboard.servicekit.runtime import Runtime


@dataclass(frozen=True)
class IntakeService:
    """Everything the HTTP edge, the consumer and the CLI need, built once."""

    settings: IntakeSettings
    runtime: Runtime
    sessions: async_sessionmaker[AsyncSession]
    detector: ContactLanguageDetector
    adapters: AdapterDirectory
    batcher: AcceptBatcher
    secret_box: SecretBox


def build_detector(settings: IntakeSettings) -> ContactLanguageDetector:
    """Slow (seconds, models preloaded): build once per process and share."""
    return ContactLanguageDetector(
        languages=settings.languages, min_confidence=settings.language_min_confidence
    )


def bootstrap(
    settings: IntakeSettings | None = None,
    *,
    detector: ContactLanguageDetector | None = None,
    run_migrations: bool = True,
) -> IntakeService:
    settings = settings or IntakeSettings.load()
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    producer = make_producer(settings.kafka_bootstrap_servers, client_id="intake")
    resolutions = resolutions_consumer(settings=settings, sessions=sessions, producer=producer)
    before_start: list[Callable[[], Awaitable[object]]] = [
        partial(
            ensure_topics,
            settings.kafka_bootstrap_servers,
            [CASES.name, ASSIGNMENTS.name, resolutions.dead_letter_topic],
            partitions=settings.topic_partitions,
        )
    ]
    secret_box = settings.secret_box()
    if run_migrations:
        before_start[:0] = [
            partial(migrate, settings.database_url, versions_dir=VERSIONS_DIR, metadata=metadata),
            partial(seal_stored_secrets, sessions, secret_box),
        ]
    intake = handlers.Intake(
        priorities=PriorityPolicy(
            channel_defaults=settings.channel_priorities, vip_floor=settings.vip_priority
        ),
        reopen_window=settings.reopen_window,
        default_region=settings.default_region,
    )
    batcher = AcceptBatcher(sessions=sessions, intake=intake, max_batch=settings.accept_batch_size)
    runtime = Runtime(
        engine=engine,
        sessions=sessions,
        producer=producer,
        relay=OutboxRelay(
            sessions=sessions,
            producer=producer,
            batch_size=settings.outbox_batch_size,
            poll_seconds=settings.outbox_poll_seconds,
        ),
        consumers=[resolutions],
        workers=[batcher],
        before_start=before_start,
    )
    return IntakeService(
        settings=settings,
        runtime=runtime,
        sessions=sessions,
        detector=detector or build_detector(settings),
        adapters=AdapterDirectory(
            sessions, box=secret_box, ttl_seconds=settings.adapter_cache_seconds
        ),
        batcher=batcher,
        secret_box=secret_box,
    )
