"""Handling fetched records: together when they can, alone when one fails, never skipped.

With ``records_per_transaction`` above one, the records of one fetch share transactions,
across partitions but in order within each (one commit instead of many under load). If
any of them fails on its own, that transaction is rolled back whole and its records are
tried again in halves, down to the failing record alone, which is retried and then
dead-lettered: a bad record costs only itself. A failure that blames a dependency (the
database or the broker unreachable, a deadlock, "too many connections"...) is not the
records' fault: the same records are tried again, with capped backoff, for as long as it
takes; nothing is split, skipped or dead-lettered meanwhile and the stall is reported.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

from aiokafka import AIOKafkaProducer, ConsumerRecord
from sqlalchemy import text

from switchboard.contracts.envelope import Envelope, UndecodableEvent
from switchboard.contracts.topics import dead_letter_topic
from switchboard.servicekit.consumer.dead_letter import dead_letter_headers
from switchboard.servicekit.consumer.handling import HandlerTable
from switchboard.servicekit.faults import is_transient
from switchboard.servicekit.metrics import (
    CONSUMER_TRANSACTION,
    EVENTS_CONSUMED,
    EVENTS_DEAD_LETTERED,
)
from switchboard.servicekit.stalls import Backoff, StallWatch
from switchboard.servicekit.telemetry import span_for_many
from switchboard.servicekit.unit_of_work import UnitsOfWork

log = logging.getLogger(__name__)

Record: TypeAlias = "ConsumerRecord[Any, Any]"
DATABASE_CHECK_SECONDS = 2.0


class RecordProcessor:
    def __init__(
        self,
        *,
        table: HandlerTable,
        units: UnitsOfWork[Any],
        producer: AIOKafkaProducer,
        pause: Callable[[float], Awaitable[None]],
        stall: StallWatch,
        max_attempts: int,
        retry_backoff_seconds: float,
        records_per_transaction: int,
        outage_backoff_cap_seconds: float,
    ) -> None:
        self._table = table
        self._units = units
        self._producer = producer
        self._pause = pause
        """Sleeps, or raises once the consumer is told to stop (the record stays undone)."""
        self._stall = stall
        self._max_attempts = max_attempts
        self._backoff = retry_backoff_seconds
        self._per_transaction = max(1, records_per_transaction)
        self._outage_cap = outage_backoff_cap_seconds
        self.group_id = table.group_id
        EVENTS_DEAD_LETTERED.labels(self.group_id)  # a 0 from the start: increase() sees the 1st

    @property
    def dead_letter_topic(self) -> str:
        return dead_letter_topic(self.group_id)

    async def process(self, records: list[Record], done: Callable[[Record], None]) -> None:
        """Handle ``records`` (in partition order), telling ``done`` of each once it is."""
        size = self._per_transaction
        for start in range(0, len(records), size):
            chunk = records[start : start + size]
            await self._process_chunk(chunk)
            for record in chunk:  # in offset order within each partition
                done(record)

    async def _process_chunk(self, records: list[Record]) -> None:
        """Together if they all succeed; else halves, down to the one that fails."""
        if len(records) == 1:
            await self._process_one(records[0])
            return
        outage = self._outage_backoff()
        while True:
            try:
                together = await self._process_together(records)
                break
            except Exception as error:
                self._stall.stalled(error)
                await self._pause(outage.next())
        self._stall.recovered()
        if not together:
            middle = len(records) // 2
            await self._process_chunk(records[:middle])
            await self._process_chunk(records[middle:])

    async def _process_together(self, records: list[Record]) -> bool:
        """All of ``records`` in one transaction; False (nothing kept) if any of them fails
        on its own or cannot be decoded. Raises when a dependency is to blame."""
        envelopes: list[Envelope[Any]] = []
        for record in records:
            if not self._table.wants(record.headers):
                continue
            try:
                envelope = self._table.decode(record.value, record.headers)
            except UndecodableEvent:
                return False
            if envelope is not None:
                envelopes.append(envelope)
        if not envelopes:
            return True
        try:
            await self._apply(envelopes)
        except Exception as error:
            if is_transient(error) or not await self._database_answers():
                raise
            log.info("a transaction of %d records failed; trying them in halves", len(envelopes))
            return False
        return True

    async def _process_one(self, record: Record) -> None:
        if not self._table.wants(record.headers):
            return
        try:
            envelope = self._table.decode(record.value, record.headers)
        except UndecodableEvent as exc:
            await self._dead_letter(record, reason=str(exc), error="UndecodableEvent", attempts=0)
            return
        if envelope is None:
            return
        failures = 0
        outage = self._outage_backoff()
        while True:
            try:
                await self._apply([envelope])
                self._stall.recovered()
                return
            except Exception as exc:
                if is_transient(exc) or not await self._database_answers():
                    self._stall.stalled(exc)
                    await self._pause(outage.next())
                    continue
                failures += 1
                if failures >= self._max_attempts:
                    log.exception("handler failed %d times; dead-lettering", failures)
                    await self._dead_letter(
                        record,
                        reason=str(exc) or repr(exc),
                        error=type(exc).__name__,
                        attempts=failures,
                    )
                    return
                await self._pause(self._backoff * 2 ** (failures - 1))

    async def _apply(self, envelopes: list[Envelope[Any]]) -> None:
        traces = [envelope.trace for envelope in envelopes]
        attributes = {"messaging.consumer.group.name": self.group_id}
        with (
            CONSUMER_TRANSACTION.labels(self.group_id).time(),
            span_for_many(f"{self.group_id} transaction", traces, attributes),
        ):
            async with self._units.begin() as uow:
                await self._table.apply(uow, envelopes)
        for envelope in envelopes:
            EVENTS_CONSUMED.labels(self.group_id, envelope.type).inc()

    async def _database_answers(self) -> bool:
        """Whether the database is healthy; a handler's own error counts only then."""
        try:
            async with self._units.sessions() as session:
                await asyncio.wait_for(session.execute(text("SELECT 1")), DATABASE_CHECK_SECONDS)
            return True
        except Exception:
            return False

    def _outage_backoff(self) -> Backoff:
        return Backoff(first=self._backoff, cap=self._outage_cap)

    async def _dead_letter(self, record: Record, *, reason: str, error: str, attempts: int) -> None:
        headers = dead_letter_headers(
            record, group=self.group_id, reason=reason, error=error, attempts=attempts
        )
        outage = self._outage_backoff()
        while True:
            try:
                await self._producer.send_and_wait(
                    self.dead_letter_topic, value=record.value, key=record.key, headers=headers
                )
                break
            except Exception as exc:  # the record is kept until its dead letter is written
                self._stall.stalled(exc)
                await self._pause(outage.next())
        self._stall.recovered()
        EVENTS_DEAD_LETTERED.labels(self.group_id).inc()
        log.warning(
            "record dead-lettered",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "reason": reason[:500],
            },
        )
