"""SLA clock timers fired as one batch (the poller's batch handler), in-process."""

from datetime import timedelta

from sqlalchemy import select, update

from switchboard.contracts.events import (
    EscalationRaised,
    SlaAchieved,
    SlaBreached,
    SlaWarned,
)
from switchboard.escalation.adapters.orm import CaseRow, ClockRow
from switchboard.escalation.service_layer import sla_clocks
from switchboard.escalation.service_layer.handlers import TIMER_HANDLERS
from switchboard.servicekit.timers import Timer, TimerPoller

from ..conftest import case_opened, resolved

CASES = 40


def thresholds(events, case_id, metric):
    return [
        (type(e).__name__, getattr(e, "fraction", 1.0))
        for e in events
        if e.case_id == case_id and e.metric == metric
    ]


async def test_a_batch_of_due_clocks_emits_each_threshold_once_and_skips_resolved_cases(stack):
    batches: list[int] = []

    async def recording(batch: list[Timer], uow) -> None:
        batches.append(len(batch))
        await sla_clocks.fire_sla_clocks(batch, uow)

    poller = TimerPoller(
        units=stack.units,
        handlers=TIMER_HANDLERS,
        batch_handlers={sla_clocks.SLA_TIMER: recording},
        clock=stack.clock,
    )
    opened = [case_opened(at=stack.clock.at) for _ in range(CASES)]
    for event in opened:
        await stack.deliver(event)
    answered, guarded, *waiting = opened
    # Resolved through the event: its clocks complete and their timers are cancelled.
    await stack.deliver(resolved(answered, at=stack.clock.advance(minutes=10)))
    # Resolved as far as the batch can see, though its clock's timer is still due (the
    # resolution landing while the timer was due): events still go out, no escalation.
    async with stack.transaction() as uow:
        await uow.session.execute(
            update(CaseRow).where(CaseRow.case_id == guarded.case_id).values(status="resolved")
        )

    stack.clock.advance(minutes=50)  # first response (1h) due: 50 %, 75 % and breach at once
    assert await poller.fire_due() == CASES - 1
    assert batches == [CASES - 1]  # every due first-response clock in one handler call
    assert await poller.fire_due() == 0

    sla = await stack.events(SlaWarned, SlaBreached, SlaAchieved)
    expected = [("SlaWarned", 0.5), ("SlaWarned", 0.75), ("SlaBreached", 1.0)]
    for event in [guarded, *waiting]:
        assert thresholds(sla, event.case_id, "first_response") == expected
        assert thresholds(sla, event.case_id, "resolution") == []
    assert thresholds(sla, answered.case_id, "first_response") == [("SlaAchieved", 1.0)]
    assert thresholds(sla, answered.case_id, "resolution") == [("SlaAchieved", 1.0)]
    breach = next(e for e in sla if isinstance(e, SlaBreached))
    assert breach.due_at == breach.breached_at == opened[0].opened_at + timedelta(hours=1)

    raised = await stack.events(EscalationRaised)
    assert sorted(e.case_id for e in raised) == sorted(e.case_id for e in waiting)
    assert {(e.trigger, e.level) for e in raised} == {("sla_breach", 1)}

    async with stack.transaction() as uow:
        clocks = (
            await uow.session.execute(select(ClockRow).where(ClockRow.metric == "first_response"))
        ).scalars()
        states = {row.case_id: (row.state, tuple(row.fired)) for row in clocks}
    assert states.pop(answered.case_id) == ("achieved", ())
    assert set(states.values()) == {("breached", (0.5, 0.75, 1.0))}

    # The resolution clocks (8h) warn at 4h; firing again (with the escalations' own
    # acknowledgement timers, one at a time) repeats none of the first-response events.
    stack.clock.advance(hours=3)
    while await poller.fire_due():
        pass
    assert batches == [CASES - 1, CASES - 1]
    sla = await stack.events(SlaWarned, SlaBreached, SlaAchieved)
    for event in [guarded, *waiting]:
        assert thresholds(sla, event.case_id, "first_response") == expected
        assert thresholds(sla, event.case_id, "resolution") == [("SlaWarned", 0.5)]
    assert len(await stack.events(EscalationRaised)) == len(waiting)


async def test_two_clocks_of_one_case_breaching_in_one_batch_raise_one_escalation(stack):
    poller = TimerPoller(
        units=stack.units,
        handlers=TIMER_HANDLERS,
        batch_handlers={sla_clocks.SLA_TIMER: sla_clocks.fire_sla_clocks},
        clock=stack.clock,
    )
    opened = [case_opened(at=stack.clock.at) for _ in range(3)]
    for event in opened:
        await stack.deliver(event)

    stack.clock.advance(days=2)  # first response and resolution both breached by now
    while await poller.fire_due():
        pass

    breached = await stack.events(SlaBreached)
    for event in opened:
        assert sorted(e.metric for e in breached if e.case_id == event.case_id) == [
            "first_response",
            "resolution",
        ]
    raised = await stack.events(EscalationRaised)
    assert sorted(e.case_id for e in raised) == sorted(e.case_id for e in opened)
