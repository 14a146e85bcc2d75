"""Routing's consumer of the cases topic: opened and reopened cases join a queue.

Contacts received on a case already assigned need nothing from routing: the agent
already holds the case, and escalation's clocks read the contact itself.
"""

from __future__ import annotations

from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.contracts.events import REGISTRY
from switchboard.routing.context import RoutingContext
from switchboard.routing.handlers import case_event_batch_handlers, case_event_handlers
from switchboard.routing.settings import RoutingSettings
from switchboard.servicekit.consumer import ConsumerRunner


def cases_consumer(
    *,
    settings: RoutingSettings,
    sessions: async_sessionmaker[AsyncSession],
    producer: AIOKafkaProducer,
    context: RoutingContext,
) -> ConsumerRunner:
    return ConsumerRunner(
        group_id=settings.consumer_group,
        topics=[settings.cases_topic],
        bootstrap_servers=settings.kafka_bootstrap_servers,
        registry=REGISTRY,
        sessions=sessions,
        handlers=case_event_handlers(context),
        batch_handlers=case_event_batch_handlers(context),
        producer=producer,
        max_attempts=settings.consumer_max_attempts,
        retry_backoff_seconds=settings.consumer_retry_backoff_seconds,
        records_per_transaction=settings.consumer_records_per_transaction,
    )
