"""Durable timers: due times in the database, fired once across replicas and restarts.

A poller claims due rows with ``FOR UPDATE SKIP LOCKED``; each timer is deleted and its
handler run inside one savepoint, so a timer fires exactly when its handler's effect
commits. A handler failing on its own is retried with backoff and parked (``dead_at``)
after ``max_attempts``; a failure that blames a dependency (the database unreachable, a
deadlock...) rolls the whole batch back, counts no attempt, and the poller waits with
capped backoff until the dependency is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import SpanKind
from sqlalchemy import BigInteger, any_, bindparam, delete, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.servicekit.db.engine import dialect_of
from switchboard.servicekit.db.types import utcnow
from switchboard.servicekit.faults import is_transient
from switchboard.servicekit.metrics import TIMER_LAG, TIMERS_FAILED, TIMERS_FIRED
from switchboard.servicekit.stalls import StallWatch
from switchboard.servicekit.tables import timers
from switchboard.servicekit.telemetry import current_trace_headers, span_from_headers

if TYPE_CHECKING:
    from switchboard.servicekit.unit_of_work import UnitOfWork, UnitsOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Timer:
    kind: str
    key: str
    due_at: datetime
    payload: dict[str, Any]
    attempts: int


TimerHandler = Callable[[Timer, "UnitOfWork[Any]"], Awaitable[None]]
BatchTimerHandler = Callable[[list[Timer], "UnitOfWork[Any]"], Awaitable[None]]
"""Fires many due timers of one kind at once; for kinds that fall due by the thousand."""


async def schedule(
    session: AsyncSession,
    *,
    kind: str,
    key: str,
    due_at: datetime,
    payload: dict[str, Any] | None = None,
) -> None:
    """Set (or move) the timer ``kind``/``key`` in the caller's transaction."""
    await schedule_many(session, kind=kind, due=[(key, due_at, payload)])


async def schedule_many(
    session: AsyncSession,
    *,
    kind: str,
    due: Sequence[tuple[str, datetime, dict[str, Any] | None]],
) -> None:
    """Set (or move) several timers of one kind with one statement: (key, due_at, payload);
    where a key comes twice, the last one counts."""
    if not due:
        return
    trace = current_trace_headers()
    dialect = dialect_of(session)
    if dialect == "postgresql":
        latest = {key: (due_at, payload) for key, due_at, payload in due}
        if any(due_at.tzinfo is None for due_at, _ in latest.values()):
            raise ValueError("naive datetime given where an aware UTC instant is required")
        await session.execute(
            _UPSERT_ARRAYS,
            {
                "kind": kind,
                "keys": list(latest),
                "due_at": [due_at for due_at, _ in latest.values()],
                "payloads": [json.dumps(payload or {}) for _, payload in latest.values()],
                "trace": json.dumps(trace) if trace is not None else None,
            },
        )
        return
    rows = [
        {
            "kind": kind,
            "key": key,
            "due_at": due_at,
            "payload": payload or {},
            "attempts": 0,
            "last_error": None,
            "dead_at": None,
            "trace": trace,
        }
        for key, due_at, payload in due
    ]
    await session.execute(_upsert(dialect), rows)


_UPSERT_ARRAYS = text(
    "INSERT INTO sk_timers (kind, key, due_at, payload, attempts, last_error, dead_at, trace)"
    " SELECT :kind, due.key, due.due_at, CAST(due.payload AS JSON), 0, NULL, NULL,"
    " CAST(:trace AS JSON)"
    " FROM unnest(CAST(:keys AS VARCHAR[]), CAST(:due_at AS TIMESTAMPTZ[]),"
    " CAST(:payloads AS TEXT[])) AS due (key, due_at, payload)"
    " ON CONFLICT (kind, key) DO UPDATE SET due_at = excluded.due_at,"
    " payload = excluded.payload, attempts = 0, last_error = NULL, dead_at = NULL,"
    " trace = excluded.trace"
)
"""PostgreSQL: many timers in one statement from arrays, not one execution per timer."""


@functools.cache
def _upsert(dialect: str) -> Any:
    """INSERT … ON CONFLICT (kind, key) DO UPDATE, built once per dialect."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(timers)
    moved = ("due_at", "payload", "attempts", "last_error", "dead_at", "trace")
    return statement.on_conflict_do_update(
        index_elements=[timers.c.kind, timers.c.key],
        set_={name: statement.excluded[name] for name in moved},
    )


async def cancel(session: AsyncSession, *, kind: str, key: str) -> bool:
    return await cancel_many(session, kind=kind, keys=[key]) > 0


async def cancel_many(session: AsyncSession, *, kind: str, keys: Sequence[str]) -> int:
    """Drop the timers ``kind``/``key`` for every key given; how many there were."""
    if not keys:
        return 0
    result = await session.execute(
        delete(timers).where(timers.c.kind == kind, timers.c.key.in_(list(keys)))
    )
    return int(getattr(result, "rowcount", 0))


class TimerPoller:
    def __init__(
        self,
        *,
        units: UnitsOfWork[Any],
        handlers: Mapping[str, TimerHandler],
        batch_handlers: Mapping[str, BatchTimerHandler] | None = None,
        batch_size: int = 500,
        poll_seconds: float = 0.1,
        max_attempts: int = 5,
        retry_backoff: timedelta = timedelta(seconds=1),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._units = units
        self._handlers = dict(handlers)
        self._batch_handlers = dict(batch_handlers or {})
        for kind in {*self._handlers, *self._batch_handlers}:  # 0s from the start, so an
            TIMERS_FIRED.labels(kind)  # alert's increase() counts the first failure too
            TIMERS_FAILED.labels(kind)
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._max_attempts = max_attempts
        self._retry_backoff = retry_backoff
        self._clock = clock
        self._stopping = asyncio.Event()
        self.stall = StallWatch("timers", first_pause=poll_seconds)
        self.running = False

    async def run(self) -> None:
        self.running = True
        try:
            while not self._stopping.is_set():
                fired = await self.stall.attempt(self.fire_due)
                if (fired or 0) < self._batch_size:
                    with contextlib.suppress(TimeoutError):
                        pause = self.stall.pause(self._poll_seconds)
                        await asyncio.wait_for(self._stopping.wait(), pause)
        finally:
            self.running = False

    def stop(self) -> None:
        self._stopping.set()

    async def fire_due(self) -> int:
        """Fire one batch of due timers; returns how many were claimed."""
        now = self._clock()
        failures: list[tuple[Any, Exception]] = []
        async with self._units.begin() as uow:
            session = uow.session
            query = (
                select(timers)
                .where(timers.c.dead_at.is_(None), timers.c.due_at <= now)
                .order_by(timers.c.due_at)
                .limit(self._batch_size)
                .with_for_update(skip_locked=True)
            )
            rows = list((await session.execute(query)).all())
            batches: dict[str, list[Any]] = {}
            for row in rows:
                if row.kind in self._batch_handlers:
                    batches.setdefault(row.kind, []).append(row)
                    continue
                try:
                    async with session.begin_nested():
                        await self._fire(uow, row)
                except Exception as exc:
                    _raise_if_transient(exc)
                    failures.append((row, exc))
            for kind, batch in batches.items():
                failures += await self._fire_batch_or_one_by_one(uow, kind, batch)
            for row, error in failures:
                await self._record_failure(session, row, error, now)
        if rows:
            TIMER_LAG.set(max((now - row.due_at).total_seconds() for row in rows))
        return len(rows)

    async def _fire_batch_or_one_by_one(
        self, uow: UnitOfWork[Any], kind: str, rows: list[Any]
    ) -> list[tuple[Any, Exception]]:
        """One savepoint for the whole batch; if it fails, one per timer, so a single bad
        timer is retried alone and the others still fire."""
        try:
            async with uow.savepoint():
                await self._fire_batch(uow, kind, rows)
            return []
        except Exception as exc:
            _raise_if_transient(exc)
            if len(rows) == 1:
                return [(rows[0], exc)]
        failures = []
        for row in rows:
            try:
                async with uow.savepoint():
                    await self._fire_batch(uow, kind, [row])
            except Exception as exc:
                _raise_if_transient(exc)
                failures.append((row, exc))
        return failures

    async def _fire_batch(self, uow: UnitOfWork[Any], kind: str, rows: list[Any]) -> None:
        ids = [row.id for row in rows]
        await uow.session.execute(_delete_ids(dialect_of(uow.session)), {"ids": ids})
        batch = [Timer(r.kind, r.key, r.due_at, dict(r.payload), r.attempts) for r in rows]
        with span_from_headers(
            f"timers {kind}",
            rows[0].trace or {},
            SpanKind.INTERNAL,
            {"timer.count": str(len(rows))},
        ):
            await self._batch_handlers[kind](batch, uow)
        TIMERS_FIRED.labels(kind).inc(len(rows))

    async def _fire(self, uow: UnitOfWork[Any], row: Any) -> None:
        handler = self._handlers.get(row.kind)
        if handler is None:
            raise LookupError(f"no handler for timer kind {row.kind!r}")
        await uow.session.execute(delete(timers).where(timers.c.id == row.id))
        timer = Timer(row.kind, row.key, row.due_at, dict(row.payload), row.attempts)
        with span_from_headers(
            f"timer {row.kind}", row.trace or {}, SpanKind.INTERNAL, {"timer.key": row.key}
        ):
            await handler(timer, uow)
        TIMERS_FIRED.labels(row.kind).inc()

    async def _record_failure(
        self, session: AsyncSession, row: Any, exc: Exception, now: datetime
    ) -> None:
        TIMERS_FAILED.labels(row.kind).inc()
        attempts = row.attempts + 1
        log.warning("timer %s/%s failed (attempt %d): %r", row.kind, row.key, attempts, exc)
        await session.execute(
            update(timers)
            .where(timers.c.id == row.id)
            .values(
                attempts=attempts,
                last_error=repr(exc)[:2000],
                due_at=now + self._retry_backoff * 2 ** (attempts - 1),
                dead_at=now if attempts >= self._max_attempts else None,
            )
        )


@functools.cache
def _delete_ids(dialect: str) -> Any:
    """DELETE of the given timer ids; on PostgreSQL one array, so one prepared statement."""
    if dialect == "postgresql":
        return delete(timers).where(timers.c.id == any_(bindparam("ids", type_=ARRAY(BigInteger))))
    return delete(timers).where(timers.c.id.in_(bindparam("ids", expanding=True)))


def _raise_if_transient(error: Exception) -> None:
    """A dependency's failure aborts the batch: no timer fires and none counts an attempt."""
    if is_transient(error):
        raise error
