"""Intake's consumer: routing's resolutions tell intake which threads are no longer open."""

from __future__ import annotations

from collections.abc import Mapping

from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.contracts.base import Event
from switchboard.contracts.events import REGISTRY, CaseResolved
from switchboard.contracts.topics import ASSIGNMENTS
from switchboard.intake import handlers
from switchboard.intake.settings import IntakeSettings
from switchboard.servicekit.consumer import ConsumerRunner
from switchboard.servicekit.consumer.runner import Handler

EVENT_HANDLERS: Mapping[type[Event], Handler] = {CaseResolved: handlers.record_resolution}
"""The other events on the assignments topic are not intake's business and are skipped."""


def resolutions_consumer(
    *,
    settings: IntakeSettings,
    sessions: async_sessionmaker[AsyncSession],
    producer: AIOKafkaProducer,
) -> ConsumerRunner:
    return ConsumerRunner(
        group_id=settings.consumer_group,
        topics=[ASSIGNMENTS.name],
        bootstrap_servers=settings.kafka_bootstrap_servers,
        registry=REGISTRY,
        sessions=sessions,
        handlers=EVENT_HANDLERS,
        producer=producer,
        max_attempts=settings.consumer_max_attempts,
        retry_backoff_seconds=settings.consumer_retry_backoff_seconds,
    )
