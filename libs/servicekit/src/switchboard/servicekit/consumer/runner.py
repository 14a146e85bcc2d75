"""Running a consumer group: records in partition order, effect and inbox together.

Offsets are committed only after the database commit (every ``commit_interval_seconds``,
on a rebalance and at stop); a redelivered record finds its event id in the inbox and
changes nothing. How records are handled, retried and dead-lettered is
``processing.RecordProcessor``'s part; a failure the loop itself meets (fetching,
committing) rewinds every partition to what was processed, so nothing fetched is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, IllegalStateError

from switchboard.contracts.base import Event
from switchboard.contracts.registry import Registry
from switchboard.servicekit.consumer.handling import BatchHandler, Handler, HandlerTable
from switchboard.servicekit.consumer.processing import RecordProcessor
from switchboard.servicekit.faults import is_transient
from switchboard.servicekit.kafka import KafkaConnection, connection_of
from switchboard.servicekit.metrics import CONSUMER_FETCH_DELAY, CONSUMER_LAG
from switchboard.servicekit.stalls import OUTAGE_BACKOFF_CAP_SECONDS, Backoff, StallWatch
from switchboard.servicekit.unit_of_work import UnitsOfWork

log = logging.getLogger(__name__)


class _Stopping(Exception):
    """Raised out of a wait when the runner is told to stop: the record stays unprocessed
    (its offset uncommitted) and is redelivered after the restart."""


class ConsumerRunner:
    def __init__(
        self,
        *,
        group_id: str,
        topics: list[str],
        bootstrap_servers: str | KafkaConnection,
        registry: Registry,
        units: UnitsOfWork[Any],
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
        self.table = HandlerTable(
            group_id=group_id, registry=registry, handlers=handlers, batch_handlers=batch_handlers
        )
        self.stall = StallWatch(f"consumer {group_id}")
        self._processor = RecordProcessor(
            table=self.table,
            units=units,
            producer=producer,
            pause=self._pause,
            stall=self.stall,
            max_attempts=max_attempts,
            retry_backoff_seconds=retry_backoff_seconds,
            records_per_transaction=records_per_transaction,
            outage_backoff_cap_seconds=outage_backoff_cap_seconds,
        )
        self._backoff = Backoff(first=retry_backoff_seconds, cap=outage_backoff_cap_seconds)
        self._max_records = max_records
        self._per_transaction = max(1, records_per_transaction)
        self._commit_interval = commit_interval_seconds
        self._consumer = AIOKafkaConsumer(
            **connection_of(bootstrap_servers).client_options(),
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        self._done: dict[TopicPartition, int] = {}
        self._stopping = asyncio.Event()
        self.running = False

    @property
    def dead_letter_topic(self) -> str:
        return self._processor.dead_letter_topic

    async def start(self) -> None:
        await self._consumer.start()
        self._consumer.subscribe(self.topics, listener=_CommitOnRevoke(self))
        self.running = True

    async def stop(self) -> None:
        self._stopping.set()
        if not self.running:  # never ran (or done): run() will not close the client
            await self._consumer.stop()

    async def run(self) -> None:
        """Consume until stopped; commits what was processed, then leaves the group."""
        loop = asyncio.get_running_loop()
        lag_at = commit_at = 0.0
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
                    self._backoff.reset()
                except _Stopping:
                    break
                except Exception as error:
                    try:
                        await self._recover_from(error)
                    except _Stopping:
                        break
        finally:
            self.running = False
            try:
                await asyncio.wait_for(self.commit(), 5)
            except Exception:
                log.warning("final offset commit of %s failed; redelivery follows", self.group_id)
            finally:
                await self._consumer.stop()

    async def _fetch_and_process(self) -> None:
        batch = await self._consumer.getmany(timeout_ms=200, max_records=self._max_records)
        self._observe_fetch_delay(batch)
        if batch and self._per_transaction > 1:
            # Partitions' records share transactions too (each partition's in order).
            await self._processor.process([r for rs in batch.values() for r in rs], self._mark)
        elif batch:
            results = await asyncio.gather(
                *(self._processor.process(rs, self._mark) for rs in batch.values()),
                return_exceptions=True,
            )
            for result in results:
                if isinstance(result, BaseException):
                    raise result

    def _mark(self, record: ConsumerRecord[Any, Any]) -> None:
        self._done[TopicPartition(record.topic, record.partition)] = record.offset + 1

    async def _recover_from(self, error: Exception) -> None:
        """Fetching, committing or an unforeseen error: rewind every partition to what was
        processed (nothing fetched is skipped) and go on after a growing pause."""
        if is_transient(error):
            self.stall.stalled(error)
        else:
            log.exception("consumer %s failed; rewinding to what it processed", self.group_id)
        with contextlib.suppress(Exception):
            await self._rewind()
        await self._pause(self._backoff.next())

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

    async def _report_lag(self) -> None:
        with contextlib.suppress(Exception):  # a gauge is not worth failing over
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
