"""The composition root: engine, sessions, producer, relay, consumer, timers and router,
built from settings when called. Nothing is built at import time; nothing starts here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path

import yaml
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.contracts.topics import AGENT_STATUS, ASSIGNMENTS
from switchboard.routing.adapters.membership import Membership
from switchboard.routing.adapters.orm import PolicyDocumentRow, metadata
from switchboard.routing.adapters.pool_notices import PoolNotices
from switchboard.routing.adapters.records import stamp
from switchboard.routing.context import RoutingContext
from switchboard.routing.domain.policy import PolicySet, catch_all_policy, policy_set_from_data
from switchboard.routing.entrypoints.consumer import cases_consumer
from switchboard.routing.handlers import timer_handlers
from switchboard.routing.migrations import VERSIONS_DIR
from switchboard.routing.router import Router
from switchboard.routing.settings import RoutingSettings
from switchboard.servicekit.db import create_engine, session_factory, utcnow
from switchboard.servicekit.kafka import ensure_topics, make_producer
from switchboard.servicekit.migrations import migrate
from switchboard.servicekit.outbox import OutboxRelay
from switchboard.servicekit.runtime import Runtime
from switchboard.servicekit.timers import TimerPoller


@dataclass(frozen=True)
class RoutingService:
    settings: RoutingSettings
    runtime: Runtime
    sessions: async_sessionmaker[AsyncSession]
    context: RoutingContext
    router: Router


def read_policy_file(path: Path) -> dict[str, object]:
    """Parse and validate the policy YAML; a bad file stops the start with its location."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(document, dict):
        raise ValueError(f"{path}: expected a mapping with a 'policies' list")
    policy_set_from_data(document)
    return document


async def store_policy_file(
    sessions: async_sessionmaker[AsyncSession], document: dict[str, object]
) -> None:
    async with sessions() as session, session.begin():
        row = await session.get(PolicyDocumentRow, 1, with_for_update=True)
        if row is None:
            row = PolicyDocumentRow(id=1, document=document, revision=0, updated_at=utcnow())
            session.add(row)
        row.document, row.updated_at = document, utcnow()
        stamp(session, row)


def bootstrap(
    settings: RoutingSettings | None = None, *, run_migrations: bool = True
) -> RoutingService:
    settings = settings or RoutingSettings.load()
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    producer = make_producer(settings.kafka_bootstrap_servers, client_id=settings.replica_name)
    document = read_policy_file(settings.policies_file) if settings.policies_file else None
    policies = (
        policy_set_from_data(document)
        if document
        else PolicySet(policies=(), default=catch_all_policy())
    )
    context = RoutingContext(
        policies=policies,
        pool_by_department=settings.pool_by_department,
        preferred_agent_for=timedelta(seconds=settings.preferred_agent_seconds),
        replica=settings.replica_name,
    )
    router = Router(
        sessions=sessions,
        context=context,
        sync_seconds=settings.sync_seconds,
        offers_per_transaction=settings.offers_per_transaction,
        membership=Membership(
            sessions=sessions,
            replica=settings.replica_name,
            heartbeat_seconds=settings.heartbeat_seconds,
        )
        if settings.pool_sharding
        else None,
        notices=PoolNotices(engine) if settings.pool_sharding else None,
    )
    context.wake = router.wake
    context.owns = router.owns
    context.offer_on_arrival = router.offer_on_arrival
    consumer = cases_consumer(
        settings=settings, sessions=sessions, producer=producer, context=context
    )
    before_start = [
        partial(
            ensure_topics,
            settings.kafka_bootstrap_servers,
            [settings.cases_topic, ASSIGNMENTS.name, AGENT_STATUS.name, consumer.dead_letter_topic],
            partitions=settings.topic_partitions,
        )
    ]
    if document:
        before_start.insert(0, partial(store_policy_file, sessions, document))
    if run_migrations:
        before_start.insert(
            0, partial(migrate, settings.database_url, versions_dir=VERSIONS_DIR, metadata=metadata)
        )
    runtime = Runtime(
        engine=engine,
        sessions=sessions,
        producer=producer,
        relay=OutboxRelay(sessions=sessions, producer=producer),
        consumers=[consumer],
        pollers=[
            TimerPoller(
                sessions=sessions,
                handlers=timer_handlers(context),
                # One timer per transaction: a batch would lock its timers' cases and
                # agents in timer order, not in the (case, agent) order the router uses.
                batch_size=1,
                poll_seconds=settings.timer_poll_seconds,
            )
        ],
        workers=[router],
        before_start=before_start,
    )
    return RoutingService(
        settings=settings, runtime=runtime, sessions=sessions, context=context, router=router
    )
