"""The composition root: engine, sessions, producer, relay, consumer and timer poller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial

from fastapi import FastAPI

from switchboard.contracts.asyncapi import build_asyncapi
from switchboard.contracts.base import Event
from switchboard.contracts.events import (
    REGISTRY,
    AgentReplied,
    CaseOpened,
    CaseReopened,
    CaseResolved,
    SlaAchieved,
    SlaBreached,
)
from switchboard.contracts.topics import ASSIGNMENTS, CASES, FEEDBACK_ALERTS, SLA, SURVEYS
from switchboard.feedback import handlers
from switchboard.feedback.adapters.orm import Base
from switchboard.feedback.entrypoints.api import ROUTERS
from switchboard.feedback.migrations import VERSIONS_DIR
from switchboard.feedback.settings import FeedbackSettings
from switchboard.feedback.surveying import send_due_survey
from switchboard.servicekit.consumer import ConsumerRunner
from switchboard.servicekit.db import create_engine, session_factory, utcnow
from switchboard.servicekit.http import RateLimitRule, create_app, path_prefix
from switchboard.servicekit.kafka import ensure_topics, make_producer
from switchboard.servicekit.migrations import migrate
from switchboard.servicekit.outbox import OutboxRelay
from switchboard.servicekit.runtime import Runtime
from switchboard.servicekit.timers import TimerPoller


async def run_migrations(settings: FeedbackSettings) -> None:
    await migrate(settings.database_url, versions_dir=VERSIONS_DIR, metadata=Base.metadata)


def input_topics(settings: FeedbackSettings) -> list[str]:
    return [settings.cases_topic, settings.assignments_topic, settings.sla_topic]


async def create_topics(settings: FeedbackSettings) -> None:
    names = [*input_topics(settings), SURVEYS.name, FEEDBACK_ALERTS.name]
    await ensure_topics(
        settings.kafka_bootstrap_servers, names, partitions=settings.topic_partitions
    )


def bootstrap(
    settings: FeedbackSettings,
    *,
    clock: Callable[[], datetime] = utcnow,
    migrate_first: bool = True,
) -> Runtime:
    """Build (not start) everything the service runs; call it inside the event loop
    (Kafka clients bind to it). The app's lifespan, or a test, starts the runtime."""
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    producer = make_producer(settings.kafka_bootstrap_servers, client_id=settings.service_name)
    wired: dict[type[Event], Callable[..., Awaitable[None]]] = {
        CaseOpened: handlers.record_case_opened,
        CaseReopened: handlers.record_case_reopened,
        AgentReplied: handlers.record_agent_replied,
        CaseResolved: handlers.record_case_resolved,
        SlaAchieved: handlers.record_sla_outcome,
        SlaBreached: handlers.record_sla_outcome,
    }
    consumer = ConsumerRunner(
        group_id=settings.consumer_group,
        topics=input_topics(settings),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        registry=REGISTRY,
        sessions=sessions,
        handlers={model: partial(handler, settings=settings) for model, handler in wired.items()},
        producer=producer,
        max_attempts=settings.consumer_max_attempts,
        retry_backoff_seconds=settings.consumer_retry_backoff_seconds,
    )
    poller = TimerPoller(
        sessions=sessions,
        handlers={handlers.SURVEY_DUE: partial(send_due_survey, settings=settings, clock=clock)},
        batch_size=settings.timer_batch_size,
        poll_seconds=settings.timer_poll_seconds,
        clock=clock,
    )
    relay = OutboxRelay(
        sessions=sessions,
        producer=producer,
        batch_size=settings.outbox_batch_size,
        poll_seconds=settings.outbox_poll_seconds,
    )
    before_start = [partial(create_topics, settings)]
    if migrate_first:
        before_start.insert(0, partial(run_migrations, settings))
    return Runtime(
        engine=engine,
        sessions=sessions,
        producer=producer,
        relay=relay,
        consumers=[consumer],
        pollers=[poller],
        before_start=before_start,
    )


def build_app(settings: FeedbackSettings, *, runtime: Runtime | None) -> FastAPI:
    """The HTTP app; its lifespan starts and stops the runtime (build it inside a loop)."""
    app = create_app(
        title="Switchboard feedback",
        version="0.1.0",
        runtime=runtime,
        routers=ROUTERS,
        asyncapi=build_asyncapi("feedback", reads=[ASSIGNMENTS.name, CASES.name, SLA.name]),
        max_body_bytes=settings.max_body_bytes,
        description="Post-resolution surveys, detractor alerts and KPIs.",
        rate_limits=[RateLimitRule(settings.survey_rate_limit, key=path_prefix("/surveys/"))]
        if settings.survey_rate_limit
        else [],
        cors_origins=settings.cors_origins,
    )
    app.state.settings = settings
    return app
