"""A service declared once: what it reads and writes, its handlers, timers and workers.

A service's ``bootstrap.py`` holds one ``ServiceDefinition``; servicekit derives the rest
from it (the runtime, consumers from settings, topic creation, the AsyncAPI document, the
app and the CLI). Its HTTP side is declared next to its routes (``HttpApi``), so that the
composition root imports no entrypoint.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import typer
from fastapi import APIRouter
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from switchboard.contracts.base import Event
from switchboard.contracts.registry import Registry
from switchboard.contracts.topics import Topic
from switchboard.servicekit.auth import BearerServiceSettings
from switchboard.servicekit.consumer import BatchHandler, Handler
from switchboard.servicekit.http.rate_limits import RateLimitRule
from switchboard.servicekit.runtime import Worker
from switchboard.servicekit.timers import BatchTimerHandler, TimerHandler

S = TypeVar("S", bound=BearerServiceSettings)
D = TypeVar("D")
StartStep = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class Migrations:
    versions_dir: Path
    """The service's alembic branch (servicekit's own branch is added to it)."""
    metadata: MetaData


@dataclass(frozen=True)
class Resources:
    """What a service's dependencies are built from."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]


def _nothing(_: Any) -> Sequence[Any]:
    return ()


@dataclass(frozen=True)
class ServiceDefinition(Generic[S, D]):
    name: str
    """The service's name: its CLI, default consumer group, Kafka client id."""
    settings: type[S]
    migrations: Migrations
    registry: Registry
    """The contracts' event registry (servicekit itself knows no event)."""
    dependencies: Callable[[S, Resources], D]
    """Builds the service's own collaborators, handed to every unit of work as ``deps``."""
    writes: tuple[Topic, ...] = ()
    handlers: Mapping[type[Event], Handler] = field(default_factory=dict)
    """One handler per event type read; the topics read follow from the types."""
    batch_handlers: Mapping[type[Event], BatchHandler] = field(default_factory=dict)
    timers: Mapping[str, TimerHandler] = field(default_factory=dict)
    timer_batch_handlers: Mapping[str, BatchTimerHandler] = field(default_factory=dict)
    workers: Callable[[D], Sequence[Worker]] = _nothing
    """Background loops beside the consumer, relay and timers (they start and stop with
    the runtime)."""
    start_steps: Callable[[D], Sequence[StartStep]] = _nothing
    """Awaited in order once the schema is current and the topics exist, before anything
    runs (seeding configuration, re-sealing secrets...)."""
    ready_without_broker: bool = True
    """Whether the HTTP side does its work while the broker is down."""

    @property
    def reads(self) -> tuple[Topic, ...]:
        """The topics of the events the service handles, in a stable order."""
        models = [*self.handlers, *self.batch_handlers]
        return tuple(sorted({model.topic for model in models}, key=lambda t: t.name))

    @property
    def source(self) -> str:
        return f"/switchboard/{self.name}"


@dataclass(frozen=True)
class HttpApi(Generic[S]):
    """A service's HTTP side: its routers and what guards them."""

    title: str
    description: str
    routers: tuple[APIRouter, ...]
    rate_limits: Callable[[S], Sequence[RateLimitRule]] = _nothing
    body_limits: Callable[[S], Sequence[tuple[str, int]]] = _nothing
    """(path prefix, bytes): body limits other than ``max_body_bytes`` for some paths."""
    version: str = "0.1.0"


CommandsHook = Callable[[typer.Typer], None]
"""Adds a service's own commands to the CLI servicekit builds."""
