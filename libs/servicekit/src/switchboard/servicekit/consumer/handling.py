"""A consumer group's table of handlers, and how one transaction applies events with it.

The same table runs under the Kafka consumer and in service-layer tests without a broker:
events are recorded in the inbox first, those seen before are skipped, and the rest go to
their handlers in order (a run of consecutive events of one type to its batch handler at
once, where it has one).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from itertools import groupby
from typing import Any

from opentelemetry.trace import SpanKind

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope, decode
from switchboard.contracts.registry import Registry
from switchboard.servicekit.consumer.dead_letter import meant_for
from switchboard.servicekit.consumer.inbox import record_new
from switchboard.servicekit.telemetry import span_from_headers
from switchboard.servicekit.unit_of_work import UnitOfWork

Handler = Callable[[Envelope[Any], UnitOfWork[Any]], Awaitable[None]]
BatchHandler = Callable[[list[Envelope[Any]], UnitOfWork[Any]], Awaitable[None]]
"""Takes consecutive events of one type at once (bulk statements instead of one each)."""


class HandlerTable:
    def __init__(
        self,
        *,
        group_id: str,
        registry: Registry,
        handlers: Mapping[type[Event], Handler],
        batch_handlers: Mapping[type[Event], BatchHandler] | None = None,
    ) -> None:
        self.group_id = group_id
        self.registry = registry
        self._handlers = dict(handlers)
        self._batch_handlers = dict(batch_handlers or {})
        self.event_types = {model.event_type for model in [*self._handlers, *self._batch_handlers]}

    def wants(self, headers: Sequence[tuple[str, bytes | None]]) -> bool:
        """False for a record whose CloudEvents type no handler takes: it is passed over
        undecoded. A record without the header is decoded (and dead-lettered) as usual.
        False too for a dead letter replayed for another consumer group (``meant_for``)."""
        if not meant_for(headers, self.group_id):
            return False
        for name, value in headers:
            if name == "ce_type":
                return value is None or value.decode(errors="replace") in self.event_types
        return True

    def decode(
        self, value: bytes | None, headers: Sequence[tuple[str, bytes | None]]
    ) -> Envelope[Any] | None:
        """The record's envelope, or None when no handler takes its type; raises
        ``UndecodableEvent`` for a record that is no event of the contracts."""
        envelope = decode(self.registry, value, [(k, v or b"") for k, v in headers])
        return envelope if self.handles(type(envelope.data)) else None

    def handles(self, event_type: type[Any]) -> bool:
        return event_type in self._handlers or event_type in self._batch_handlers

    async def apply(self, uow: UnitOfWork[Any], envelopes: Sequence[Envelope[Any]]) -> None:
        """Record the events in the inbox; hand on those not seen before, in order."""
        new = await record_new(
            uow.session,
            consumer_group=self.group_id,
            events=[(envelope.id, envelope.type) for envelope in envelopes],
        )
        fresh = []
        for envelope in envelopes:
            if envelope.id in new:
                new.discard(envelope.id)  # a duplicate within the batch runs once
                fresh.append(envelope)
        for _type, run in groupby(fresh, key=lambda envelope: type(envelope.data)):
            await self._apply_run(uow, list(run))

    async def _apply_run(self, uow: UnitOfWork[Any], run: list[Envelope[Any]]) -> None:
        """Consecutive events of one type: to its batch handler at once, or one by one."""
        event_type = type(run[0].data)
        batch_handler = self._batch_handlers.get(event_type)
        if batch_handler is not None:
            with self._span(run[0]):
                await batch_handler(run, uow)
            return
        handler = self._handlers[event_type]
        for envelope in run:
            with self._span(envelope):
                await handler(envelope, uow)

    def _span(self, envelope: Envelope[Any]) -> AbstractContextManager[object]:
        topic = envelope.data.topic.name
        attributes = {
            "messaging.system": "kafka",
            "messaging.destination.name": topic,
            "messaging.consumer.group.name": self.group_id,
            "messaging.message.id": envelope.id,
        }
        return span_from_headers(f"{topic} process", envelope.trace, SpanKind.CONSUMER, attributes)
