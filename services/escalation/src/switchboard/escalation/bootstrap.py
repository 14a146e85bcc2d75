"""The composition root: engine, sessions, producer, relay, consumer, timer poller, webhook
sender and live feed, built from settings. Nothing is built at import time; nothing starts
here (the runtime starts with the app's lifespan or a test)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.contracts.events import REGISTRY
from switchboard.contracts.topics import ASSIGNMENTS, CASES, ESCALATIONS, FEEDBACK_ALERTS, SLA
from switchboard.escalation.adapters.config_store import ConfigStore
from switchboard.escalation.adapters.live_feed import LiveFeed
from switchboard.escalation.adapters.orm import metadata
from switchboard.escalation.adapters.webhook_sender import WebhookSender
from switchboard.escalation.config import load_config
from switchboard.escalation.domain.triggers import KeywordClassifier, MessageClassifier
from switchboard.escalation.domain.webhooks import RetryPolicy
from switchboard.escalation.handlers import EscalationHandlers
from switchboard.escalation.migrations import VERSIONS_DIR
from switchboard.escalation.settings import EscalationSettings
from switchboard.servicekit.auth import TokenVerifier
from switchboard.servicekit.consumer import ConsumerRunner
from switchboard.servicekit.db import create_engine, session_factory
from switchboard.servicekit.kafka import ensure_topics, make_producer
from switchboard.servicekit.migrations import migrate
from switchboard.servicekit.outbox import OutboxRelay
from switchboard.servicekit.runtime import Runtime
from switchboard.servicekit.timers import TimerPoller


@dataclass(frozen=True)
class EscalationService:
    """Everything the HTTP edge, the consumer and the CLI need, built once."""

    settings: EscalationSettings
    runtime: Runtime
    sessions: async_sessionmaker[AsyncSession]
    config: ConfigStore
    handlers: EscalationHandlers
    live_feed: LiveFeed
    tokens: TokenVerifier


async def seed_config_file(
    settings: EscalationSettings, sessions: async_sessionmaker[AsyncSession], store: ConfigStore
) -> None:
    if settings.config_file is None:
        return
    config = load_config(settings.config_file.read_text(encoding="utf-8"))
    async with sessions() as session, session.begin():
        await store.replace(session, config=config, by=f"file:{settings.config_file.name}")


def bootstrap(
    settings: EscalationSettings | None = None,
    *,
    classifier: MessageClassifier | None = None,
    run_migrations: bool = True,
) -> EscalationService:
    settings = settings or EscalationSettings.load()
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    producer = make_producer(settings.kafka_bootstrap_servers, client_id="escalation")
    store = ConfigStore(refresh_seconds=settings.config_refresh_seconds)
    handlers = EscalationHandlers(config=store, classifier=classifier or KeywordClassifier())
    consumer = ConsumerRunner(
        group_id=settings.consumer_group,
        topics=[CASES.name, ASSIGNMENTS.name, FEEDBACK_ALERTS.name],
        bootstrap_servers=settings.kafka_bootstrap_servers,
        registry=REGISTRY,
        sessions=sessions,
        handlers=handlers.event_handlers(),
        producer=producer,
        max_attempts=settings.consumer_max_attempts,
        retry_backoff_seconds=settings.consumer_retry_backoff_seconds,
    )
    poller = TimerPoller(
        sessions=sessions,
        handlers=handlers.timer_handlers(),
        batch_handlers=handlers.timer_batch_handlers(),
        batch_size=settings.timer_batch_size,
        poll_seconds=settings.timer_poll_seconds,
    )
    sender = WebhookSender(
        sessions=sessions,
        config=store,
        retry=RetryPolicy(
            first_delay=timedelta(seconds=settings.webhook_first_retry_seconds),
            max_delay=timedelta(seconds=settings.webhook_max_retry_seconds),
            max_attempts=settings.webhook_max_attempts,
        ),
        timeout_seconds=settings.webhook_timeout_seconds,
        poll_seconds=settings.webhook_poll_seconds,
    )
    live_feed = LiveFeed(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        topic=ESCALATIONS.name,
        registry=REGISTRY,
    )
    topics = [CASES, ASSIGNMENTS, FEEDBACK_ALERTS, SLA, ESCALATIONS]
    before_start = [
        partial(
            ensure_topics,
            settings.kafka_bootstrap_servers,
            [t.name for t in topics] + [consumer.dead_letter_topic],
            partitions=settings.topic_partitions,
        ),
        partial(seed_config_file, settings, sessions, store),
    ]
    if run_migrations:
        before_start.insert(
            0, partial(migrate, settings.database_url, versions_dir=VERSIONS_DIR, metadata=metadata)
        )
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
        consumers=[consumer],
        pollers=[poller],
        workers=[sender, live_feed],
        before_start=before_start,
    )
    return EscalationService(
        settings=settings,
        runtime=runtime,
        sessions=sessions,
        config=store,
        handlers=handlers,
        live_feed=live_feed,
        tokens=settings.token_verifier(),
    )
