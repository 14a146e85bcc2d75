"""Group commit for accepted contacts: the contacts that arrive while a transaction is being
written share the next one, so a busy intake pays for one BEGIN, one lookup, one insert of
the new rows (``row_inserts``), one of the events and one COMMIT per batch instead of per
contact. Each caller still gets its answer only after the commit that holds its contact; an
idle intake commits each contact alone. A batch's statements are in the first contact's
trace, its span linked to the others' requests."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError

from switchboard.intake.adapters import repository
from switchboard.intake.service_layer.contacts.accept import (
    Accepted,
    IncomingContact,
    stage_contact,
    write_staged,
)
from switchboard.servicekit.telemetry import span_for_many

if TYPE_CHECKING:
    from switchboard.intake.service_layer.unit_of_work import IntakeDeps
    from switchboard.servicekit.unit_of_work import UnitsOfWork

log = logging.getLogger(__name__)
ATTEMPTS = 3


@dataclass
class PendingContact:
    incoming: IncomingContact
    answer: asyncio.Future[Accepted] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def keys(self) -> set[str]:
        """What this contact reads or writes that another contact in the batch might too."""
        adapter, contact = self.incoming.adapter, self.incoming.contact
        keys = {f"webhook:{adapter.id}:{self.incoming.webhook_id}"}
        keys |= {f"identity:{key}" for key in contact.identities()}
        keys |= {f"thread:{ref}" for ref in contact.thread_refs}
        if contact.own_thread_ref:
            keys.add(f"thread:{contact.own_thread_ref}")
        if contact.provider_message_id:
            keys.add(f"message:{adapter.id}:{contact.provider_message_id}")
        return keys


def independent(batch: list[PendingContact]) -> tuple[list[PendingContact], list[PendingContact]]:
    """Split off the contacts that touch what an earlier one in the batch touches: they wait
    for the next batch so that they see its rows (a reply right after its first message)."""
    taken: set[str] = set()
    ready: list[PendingContact] = []
    deferred: list[PendingContact] = []
    for pending in batch:
        keys = pending.keys()
        (deferred if keys & taken else ready).append(pending)
        taken |= keys
    return ready, deferred


class AcceptBatcher:
    """A worker of the runtime: ``run()`` until ``stop()``; ``accept()`` from requests."""

    def __init__(self, units: UnitsOfWork[IntakeDeps], *, max_batch: int) -> None:
        self._units = units
        self._max_batch = max_batch
        self._queue: asyncio.Queue[PendingContact | None] = asyncio.Queue()
        self._carried: list[PendingContact] = []
        self._stopping = False
        self.running = False

    async def accept(self, incoming: IncomingContact) -> Accepted:
        if not self.running:
            return await self._accept_alone(incoming)
        pending = PendingContact(incoming)
        self._queue.put_nowait(pending)
        return await pending.answer

    async def run(self) -> None:
        self.running = True
        try:
            while not self._stopping or self._carried or not self._queue.empty():
                arrived: list[PendingContact | None] = list(self._carried) or [
                    await self._queue.get()
                ]
                self._carried = []
                while len(arrived) < self._max_batch and not self._queue.empty():
                    arrived.append(self._queue.get_nowait())
                ready, self._carried = independent([p for p in arrived if p is not None])
                if ready:
                    await self._commit(ready)
        finally:
            self.running = False
            while not self._queue.empty():
                await self._answer_alone(self._queue.get_nowait())

    def stop(self) -> None:
        self._stopping = True
        self._queue.put_nowait(None)  # wakes run()

    async def _commit(self, batch: list[PendingContact]) -> None:
        traces = [pending.incoming.trace for pending in batch]
        try:
            with span_for_many("intake accept contacts", traces, {"contacts": len(batch)}):
                async with self._units.begin() as uow:
                    knowns = await repository.look_up_many(
                        uow.session, [pending.incoming.lookup() for pending in batch]
                    )
                    staged = [
                        await stage_contact(uow=uow, incoming=pending.incoming, known=known)
                        for pending, known in zip(batch, knowns, strict=True)
                    ]
                    await write_staged(uow, staged)
            answers = [contact.accepted for contact in staged]
        except Exception as error:
            # Usually a concurrent writer (another worker) won a unique key or a lock. Every
            # contact of the batch is retried alone, where each sees what the other wrote and
            # an error reaches only the request that caused it.
            # Only the error's type: its text may carry addresses and numbers (no PII in logs).
            log.info("batch of %d retried contact by contact: %s", len(batch), type(error).__name__)
            await asyncio.gather(*(self._answer_alone(pending) for pending in batch))
            return
        for pending, answer in zip(batch, answers, strict=True):
            if not pending.answer.done():
                pending.answer.set_result(answer)

    async def _answer_alone(self, pending: PendingContact | None) -> None:
        if pending is None or pending.answer.done():
            return
        try:
            pending.answer.set_result(await self._accept_alone(pending.incoming))
        except Exception as error:  # the request that sent it answers with the error
            pending.answer.set_exception(error)

    async def _accept_alone(self, incoming: IncomingContact) -> Accepted:
        return await retrying(lambda: self._commit_one(incoming))

    async def _commit_one(self, incoming: IncomingContact) -> Accepted:
        with span_for_many("intake accept contacts", [incoming.trace], {"contacts": 1}):
            async with self._units.begin() as uow:
                staged = await stage_contact(uow=uow, incoming=incoming)
                await write_staged(uow, [staged])
                return staged.accepted


async def retrying(attempt: Callable[[], Awaitable[Accepted]]) -> Accepted:
    """Run again after a concurrent retry of the same message, or a first contact of the same
    new customer, committed first: the next run finds what it wrote."""
    for number in range(1, ATTEMPTS + 1):
        try:
            return await attempt()
        except DBAPIError:
            if number == ATTEMPTS:
                raise
            await asyncio.sleep(0.01 * number)
    raise AssertionError("unreachable")
