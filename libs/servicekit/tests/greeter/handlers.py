"""Use cases: greet a visitor when they arrive, say goodbye a while later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from switchboard.contracts.envelope import Envelope
from switchboard.servicekit.timers import Timer
from switchboard.servicekit.unit_of_work import UnitOfWork

from . import domain
from .events import VisitorArrived, VisitorGreeted
from .orm import VisitRow

FAREWELL = "greeter.farewell"


@dataclass(frozen=True)
class Manners:
    """The greeter's dependencies."""

    linger: timedelta


async def greet(message: Envelope[VisitorArrived], uow: UnitOfWork[Manners]) -> None:
    visit = message.data
    row = await uow.session.get(VisitRow, visit.visitor)
    if row is None:
        row = VisitRow(visitor=visit.visitor, language=visit.language, visits=0)
        uow.session.add(row)
    row.visits += 1
    await uow.publish(
        VisitorGreeted(visitor=visit.visitor, words=domain.greeting(visit.visitor, row.language))
    )
    await uow.schedule(FAREWELL, visit.visitor, message.time + uow.deps.linger)


async def say_goodbye(timer: Timer, uow: UnitOfWork[Manners]) -> None:
    row = await uow.session.get(VisitRow, timer.key)
    assert row is not None
    words = domain.farewell(row.visitor, row.language)
    await uow.publish(VisitorGreeted(visitor=row.visitor, words=words, farewell=True))
