"""Running a consumer group: records in partition order, effect and inbox together.

Offsets are committed only after the database commit (every ``commit_interval_seconds``,
on a rebalance and at stop); a redelivered record finds its event id in the inbox and
changes nothing. A record that cannot be decoded, or whose handler keeps failing on its
own while the database answers, goes to the group's dead-letter topic and the partition
moves on. A failure that blames a dependency (the database or the broker unreachable, a
deadlock, "too many connections"...) is not the record's fault: the partition waits on that
record, retrying with capped backoff for as long as it takes, and the runner reports
itself stalled meanwhile; nothing is committed past it and nothing is dead-lettered.

With ``records_per_transaction`` above one, the records of one fetch share transactions,
across partitions but in order within each (one commit instead of many under load). If
any of them fails, that transaction is rolled back whole and its records are tried again
in halves, down to the failing record alone, which is retried and dead-lettered as usual:
a bad record costs only itself. A type with a batch handler gets each run of consecutive
events of that type in one call, so it can read and write them with bulk statements.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractContextManager
from itertools import groupby
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, IllegalStateError
from opentelemetry.trace import SpanKind
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope, UndecodableEvent, decode
from switchboard.contracts.registry import Registry
from switchboard.contracts.topics import dead_letter_topic
from switchboard.servicekit.consumer.dead_letter import dead_letter_headers
from switchboard.servicekit.consumer.inbox import record_new
from switchboard.servicekit.faults import is_transient
from switchboard.servicekit.metrics import (
    CONSUMER_FETCH_DELAY,
    CONSUMER_LAG,
    CONSUMER_TRANSACTION,
    EVENTS_CONSUMED,
    EVENTS_DEAD_LETTERED,
)
from switchboard.servicekit.stalls import OUTAGE_BACKOFF_CAP_SECONDS, Backoff, StallWatch
from switchboard.servicekit.telemetry import span_from_headers

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, Envelope[Any]], Awaitable[None]]
BatchHandler = Callable[[AsyncSession, list[Envelope[Any]]], Awaitable[None]]
"""Handles consecutive events of one type at once (bulk statements instead of one each)."""
Work = tuple[Envelope[Any], ConsumerRecord[Any, Any]]

DATABASE_CHECK_SECONDS = 2.0


class _Stopping(Exception):
    """Raised out of a wait when the runner is told to stop: the record stays unprocessed
    (its offset uncommitted) and is redelivered after the restart."""


class ConsumerRunner:
    def __init__(
        self,
        *,
        group_id: str,
        topics: list[str],
        bootstrap_servers: str,
        registry: Registry,
        sessions: async_sessionmaker[AsyncSession],
        handlers: Mapping[type[Event], Handler],
        producer: AIOKafkaProducer,
        batch_handlers: Mapping[type[Event], BatchHandler] | None = None,
        max_attempts: int = 4,
        retry_backoff_seconds: float = 0.2,
        max_records: int = 200,
        records_per_transaction: int = 1,
        commit_interval_seconds: float = 0.2,
        outage_backoff_cap_seconds: float = OUTAGE_BACKOFF_CAP_SECONDS,
    ) -> None:
        self.group_id = group_id
        self.topics = topics
        self._registry = registry
        self._sessions = sessions
        self._handlers = dict(handlers)
        self._batch_handlers = dict(batch_handlers or {})
        self._handled_types = {
            model.event_type for model in [*self._handlers, *self._batch_handlers]
        }
        self._producer = producer
        self._max_attempts = max_attempts
        self._backoff = retry_backoff_seconds
        self._max_records = max_records
        self._per_transaction = max(1, records_per_transaction)
        self._commit_interval = commit_interval_seconds
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        self._done: dict[TopicPartition, int] = {}
        self._stopping = asyncio.Event()
        self._outage_cap = outage_backoff_cap_seconds
        self.stall = StallWatch(f"consumer {group_id}")
        self.running = False

    @property
    def dead_letter_topic(self) -> str:
        return dead_letter_topic(self.group_id)

    async def start(self) -> None:
        await self._consumer.start()
        self._consumer.subscribe(self.topics, listener=_CommitOnRevoke(self))
        self.running = True

    async def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Consume until stopped; commits what was processed, then leaves the group."""
        loop = asyncio.get_running_loop()
        lag_at = commit_at = 0.0
        backoff = Backoff(first=self._backoff, cap=self._outage_cap)
        try:
            while not self._stopping.is_set():
                try:
                    await self._fetch_and_process()
                    if loop.time() >= commit_at:
                        # Offsets lag the database by at most this interval: after a crash
                        # the records since are redelivered and the inbox skips them.
                        await self.commit()
                        commit_at = loop.time() + self._commit_interval
                    if loop.time() >= lag_at:
                        await self._report_lag()
                        lag_at = loop.time() + 1.0
                    backoff.reset()
                except _Stopping:
                    break
                except Exception as error:
                    try:
                        await self._recover_from(error, backoff.next())
                    except _Stopping:
                        break
        finally:
            self.running = False
            try:
                await asyncio.wait_for(self.commit(), 5)
            except Exception:
                log.warning(
                    "final offset commit of %s failed; records since are redelivered", self.group_id
                )
            finally:
                await self._consumer.stop()

    async def _fetch_and_process(self) -> None:
        batch = await self._consumer.getmany(timeout_ms=200, max_records=self._max_records)
        self._observe_fetch_delay(batch)
        if batch and self._per_transaction > 1:
            # Partitions' records share transactions too (each partition's in order).
            await self._process_records([r for rs in batch.values() for r in rs])
        elif batch:
            results = await asyncio.gather(
                *(self._process_records(r) for r in batch.values()), return_exceptions=True
            )
            for result in results:
                if isinstance(result, BaseException):
                    raise result

    async def _recover_from(self, error: Exception, delay: float) -> None:
        """Fetching, committing or an unforeseen error: rewind every partition to what was
        processed (nothing fetched is skipped) and go on after ``delay``."""
        if is_transient(error):
            self.stall.stalled(error)
        else:
            log.exception("consumer %s failed; rewinding to what it processed", self.group_id)
        with contextlib.suppress(Exception):
            await self._rewind()
        await self._pause(delay)

    async def _rewind(self) -> None:
        assigned = self._consumer.assignment()
        for tp in assigned:
            if tp in self._done:
                self._consumer.seek(tp, self._done[tp])
        rest = [tp for tp in assigned if tp not in self._done]
        if rest:
            await self._consumer.seek_to_committed(*rest)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        if self._stopping.is_set():
            raise _Stopping

    def _observe_fetch_delay(self, batch: Mapping[TopicPartition, list[Any]]) -> None:
        now_ms = time.time() * 1000
        delay = CONSUMER_FETCH_DELAY.labels(self.group_id)
        for records in batch.values():
            for record in records:
                delay.observe(max(now_ms - record.timestamp, 0.0) / 1000)

    async def commit(self) -> None:
        if not self._done:
            return
        offsets, self._done = self._done, {}
        assigned = self._consumer.assignment()
        offsets = {tp: offset for tp, offset in offsets.items() if tp in assigned}
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError):
            # The group rebalanced: these partitions are another member's now, which starts
            # from the last commit; the inbox makes the redelivered records harmless.
            log.info("offsets of %s not committed: the group rebalanced", self.group_id)
        except Exception:
            for tp, offset in offsets.items():  # kept, to be committed once the broker answers
                self._done[tp] = max(offset, self._done.get(tp, 0))
            raise

    async def _process_records(self, records: list[ConsumerRecord[Any, Any]]) -> None:
        size = self._per_transaction
        for start in range(0, len(records), size):
            chunk = records[start : start + size]
            await self._process_chunk(chunk)
            for record in chunk:  # in offset order within each partition
                self._done[TopicPartition(record.topic, record.partition)] = record.offset + 1

    async def _process_chunk(self, records: list[ConsumerRecord[Any, Any]]) -> None:
        """Together if they all succeed; else halves, down to the one that fails. While a
        dependency is down the same chunk is tried again, never split or skipped."""
        if len(records) == 1:
            await self._process(records[0])
            return
        backoff = Backoff(first=self._backoff, cap=self._outage_cap)
        while True:
            try:
                together = await self._process_together(records)
                break
            except Exception as error:
                self.stall.stalled(error)
                await self._pause(backoff.next())
        self.stall.recovered()
        if not together:
            middle = len(records) // 2
            await self._process_chunk(records[:middle])
            await self._process_chunk(records[middle:])

    async def _process_together(self, records: list[ConsumerRecord[Any, Any]]) -> bool:
        """All of ``records`` in one transaction; False (nothing kept) if any of them fails
        on its own or cannot be decoded. Raises when a dependency is to blame."""
        work: list[Work] = []
        for record in records:
            if not self._wanted(record):
                continue
            try:
                envelope = decode(self._registry, record.value, list(record.headers))
            except UndecodableEvent:
                return False
            if self._handles(type(envelope.data)):
                work.append((envelope, record))
        if not work:
            return True
        try:
            with CONSUMER_TRANSACTION.labels(self.group_id).time():
                async with self._sessions() as session, session.begin():
                    await self._apply_new(session, work)
        except Exception as error:
            if is_transient(error) or not await self._database_answers():
                raise
            log.info("a transaction of %d records failed; trying them in halves", len(work))
            return False
        for envelope, _record in work:
            EVENTS_CONSUMED.labels(self.group_id, envelope.type).inc()
        return True

    def _wanted(self, record: ConsumerRecord[Any, Any]) -> bool:
        """False for a record whose CloudEvents type no handler takes: it is passed over
        undecoded. A record without the header is decoded (and dead-lettered) as usual."""
        for name, value in record.headers:
            if name == "ce_type":
                return value is None or value.decode(errors="replace") in self._handled_types
        return True

    def _handles(self, event_type: type[Any]) -> bool:
        return event_type in self._handlers or event_type in self._batch_handlers

    async def _apply_new(self, session: AsyncSession, work: list[Work]) -> None:
        """Record the events in the inbox; hand on those not seen before, in order."""
        new = await record_new(
            session,
            consumer_group=self.group_id,
            events=[(envelope.id, envelope.type) for envelope, _record in work],
        )
        fresh = []
        for envelope, record in work:
            if envelope.id in new:
                new.discard(envelope.id)  # a duplicate within the batch runs once
                fresh.append((envelope, record))
        for _type, run in groupby(fresh, key=lambda item: type(item[0].data)):
            await self._apply(session, list(run))

    async def _apply(self, session: AsyncSession, run: list[Work]) -> None:
        """Consecutive events of one type: to its batch handler at once, or one by one."""
        event_type = type(run[0][0].data)
        batch_handler = self._batch_handlers.get(event_type)
        if batch_handler is not None:
            with self._span(*run[0]):
                await batch_handler(session, [envelope for envelope, _record in run])
            return
        handler = self._handlers[event_type]
        for envelope, record in run:
            with self._span(envelope, record):
                await handler(session, envelope)

    async def _process(self, record: ConsumerRecord[Any, Any]) -> None:
        if not self._wanted(record):
            return
        try:
            envelope = decode(self._registry, record.value, list(record.headers))
        except UndecodableEvent as exc:
            await self._dead_letter(record, reason=str(exc), error="UndecodableEvent", attempts=0)
            return
        if not self._handles(type(envelope.data)):
            return
        failures = 0
        outage = Backoff(first=self._backoff, cap=self._outage_cap)
        while True:
            try:
                await self._handle(envelope, record)
                self.stall.recovered()
                return
            except Exception as exc:
                if is_transient(exc) or not await self._database_answers():
                    self.stall.stalled(exc)
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

    async def _database_answers(self) -> bool:
        """Whether the database is healthy; a handler's own error counts only then."""
        try:
            async with self._sessions() as session:
                await asyncio.wait_for(session.execute(text("SELECT 1")), DATABASE_CHECK_SECONDS)
            return True
        except Exception:
            return False

    async def _handle(self, envelope: Envelope[Any], record: ConsumerRecord[Any, Any]) -> None:
        with CONSUMER_TRANSACTION.labels(self.group_id).time():
            async with self._sessions() as session, session.begin():
                await self._apply_new(session, [(envelope, record)])
        EVENTS_CONSUMED.labels(self.group_id, envelope.type).inc()

    def _span(
        self, envelope: Envelope[Any], record: ConsumerRecord[Any, Any]
    ) -> AbstractContextManager[object]:
        attributes = {
            "messaging.system": "kafka",
            "messaging.destination.name": record.topic,
            "messaging.consumer.group.name": self.group_id,
            "messaging.message.id": envelope.id,
        }
        return span_from_headers(
            f"{record.topic} process", envelope.trace, SpanKind.CONSUMER, attributes
        )

    async def _dead_letter(
        self, record: ConsumerRecord[Any, Any], *, reason: str, error: str, attempts: int
    ) -> None:
        headers = dead_letter_headers(
            record, group=self.group_id, reason=reason, error=error, attempts=attempts
        )
        backoff = Backoff(first=self._backoff, cap=self._outage_cap)
        while True:
            try:
                await self._producer.send_and_wait(
                    self.dead_letter_topic, value=record.value, key=record.key, headers=headers
                )
                break
            except Exception as exc:  # the record is kept until its dead letter is written
                self.stall.stalled(exc)
                await self._pause(backoff.next())
        self.stall.recovered()
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

    async def _report_lag(self) -> None:
        with contextlib.suppress(Exception):  # a gauge is not worth failing over
            await self._report_lag_of_assigned()

    async def _report_lag_of_assigned(self) -> None:
        for tp in self._consumer.assignment():
            end = self._consumer.highwater(tp)
            if end is None:
                continue
            position = await self._consumer.position(tp)
            CONSUMER_LAG.labels(self.group_id, tp.topic, str(tp.partition)).set(
                max(end - position, 0)
            )


class _CommitOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, runner: ConsumerRunner) -> None:
        self._runner = runner

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        try:
            await self._runner.commit()
        except Exception:  # the next owner starts from the last commit; the inbox dedupes
            log.warning("offsets of %s not committed before a rebalance", self._runner.group_id)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        return None
