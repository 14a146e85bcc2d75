"""Escalation's event and timer handlers in-process, driven by a controlled clock: SLA clocks in
business time, policies, escalations moving up and stopping, webhooks queued with events."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from switchboard.contracts.events import (
    CaseQueued,
    EscalationEscalated,
    EscalationRaised,
    EscalationResolved,
    SlaAchieved,
    SlaBreached,
    SlaWarned,
)
from switchboard.escalation.adapters.orm import EscalationRow
from switchboard.escalation.service_layer import escalations
from switchboard.servicekit.auth import Principal, Role
from switchboard.servicekit.tables import deliveries

from ..conftest import case_opened, customer_wrote, replied, resolved


async def test_warnings_then_breach_count_business_time_only(stack):
    opened = case_opened(at=stack.clock.at)  # Monday 09:00 Oslo, first response within 1h
    await stack.deliver(opened)
    stack.clock.advance(minutes=29)
    assert await stack.fire_timers() == 0
    stack.clock.advance(minutes=1)
    await stack.fire_timers()
    stack.clock.advance(minutes=30)
    await stack.fire_timers()
    sla = [e for e in await stack.events(SlaWarned, SlaBreached) if e.case_id == opened.case_id]
    first_response = [e for e in sla if e.metric == "first_response"]
    assert [(type(e).__name__, getattr(e, "fraction", 1.0)) for e in first_response] == [
        ("SlaWarned", 0.5),
        ("SlaWarned", 0.75),
        ("SlaBreached", 1.0),
    ]
    assert first_response[-1].due_at == opened.opened_at + timedelta(hours=1)
    raised = await stack.events(EscalationRaised)
    assert [(e.case_id, e.trigger, e.level) for e in raised] == [(opened.case_id, "sla_breach", 1)]
    assert [t.id for t in raised[0].targets] == ["nora"]


async def test_a_case_opened_after_hours_starts_counting_next_morning(stack):
    friday_evening = stack.clock.advance(days=4, hours=10)  # Friday 19:00 Oslo
    opened = case_opened(at=friday_evening)
    await stack.deliver(opened)
    stack.clock.advance(days=2, hours=13, minutes=59)  # Monday 08:59, opened at 08:00
    await stack.fire_timers()
    assert not await stack.events(SlaBreached)
    stack.clock.advance(minutes=1)
    await stack.fire_timers()
    breaches = [e for e in await stack.events(SlaBreached) if e.metric == "first_response"]
    assert [b.due_at for b in breaches] == [friday_evening + timedelta(days=2, hours=14)]


async def test_a_first_response_in_time_is_achieved_and_waiting_on_the_customer_pauses(stack):
    opened = case_opened(at=stack.clock.at)
    await stack.deliver(opened)
    await stack.deliver(replied(opened, at=stack.clock.advance(minutes=10)))
    achieved = await stack.events(SlaAchieved)
    assert [(e.metric, e.elapsed_seconds) for e in achieved] == [("first_response", 600.0)]
    stack.clock.advance(days=3)  # the resolution clock (8h) is paused meanwhile
    assert await stack.fire_timers() == 0
    await stack.deliver(customer_wrote(opened, at=stack.clock.at))
    stack.clock.advance(hours=1)  # next response within 2h: a warning at 1h
    await stack.fire_timers()
    warnings = await stack.events(SlaWarned)
    assert [(w.metric, w.fraction) for w in warnings] == [("next_response", 0.5)]


async def test_a_priority_change_applies_the_new_policy(stack):
    opened = case_opened(at=stack.clock.at)
    await stack.deliver(opened)
    stack.clock.advance(minutes=10)
    await stack.deliver(
        CaseQueued(
            case_id=opened.case_id,
            region="nordics",
            channel="email",
            queue_id="q",
            policy_id="p",
            priority=1,
            reason="transfer",
            language="nb",
            enqueued_at=opened.opened_at,
            queued_at=stack.clock.at,
        )
    )
    await stack.fire_timers()  # 10 of the urgent policy's 20 minutes have passed
    stack.clock.advance(minutes=10)
    await stack.fire_timers()
    first_response = [
        e for e in await stack.events(SlaWarned, SlaBreached) if e.metric == "first_response"
    ]
    assert [(e.policy_id, getattr(e, "fraction", 1.0)) for e in first_response] == [
        ("urgent", 0.5),
        ("urgent", 0.75),
        ("urgent", 1.0),
    ]
    assert first_response[-1].due_at == opened.opened_at + timedelta(minutes=20)


async def test_unacknowledged_escalations_move_up_and_acknowledged_ones_stop(stack):
    opened = case_opened(at=stack.clock.at)
    await stack.deliver(opened)
    stack.clock.advance(hours=1)
    await stack.fire_timers()
    (raised,) = await stack.events(EscalationRaised)
    stack.clock.advance(minutes=10)
    await stack.fire_timers()
    (moved,) = await stack.events(EscalationEscalated)
    assert (moved.from_level, moved.to_level, [t.id for t in moved.targets]) == (1, 2, ["magnus"])
    magnus = Principal("magnus", Role.COORDINATOR, frozenset({"nordics"}))
    async with stack.transaction() as uow:
        await escalations.acknowledge(
            uow=uow,
            loaded=await uow.deps.config.current(uow.session),
            escalation_id=raised.escalation_id,
            principal=magnus,
            note="on it",
            at=stack.clock.at,
        )
    stack.clock.advance(hours=5)
    await stack.fire_timers()
    assert len(await stack.events(EscalationEscalated)) == 1


async def test_a_coordinator_of_another_region_can_neither_see_nor_act(stack):
    opened = case_opened(at=stack.clock.at)
    await stack.deliver(opened)
    stack.clock.advance(hours=1)
    await stack.fire_timers()
    (raised,) = await stack.events(EscalationRaised)
    camille = Principal("camille", Role.COORDINATOR, frozenset({"france"}))
    async with stack.transaction() as uow:
        with pytest.raises(escalations.EscalationNotFound):
            await escalations.resolve(
                uow=uow,
                loaded=await uow.deps.config.current(uow.session),
                escalation_id=raised.escalation_id,
                principal=camille,
                note=None,
                at=stack.clock.at,
            )


async def test_resolving_the_case_stops_clocks_and_escalations(stack):
    opened = case_opened(at=stack.clock.at)
    await stack.deliver(opened)
    stack.clock.advance(hours=1)
    await stack.fire_timers()
    await stack.deliver(resolved(opened, at=stack.clock.advance(minutes=1)))
    (escalation_resolved,) = await stack.events(EscalationResolved)
    assert escalation_resolved.reason == "case_resolved"
    stack.clock.advance(days=5)
    assert await stack.fire_timers() == 0
    async with stack.transaction() as uow:
        (row,) = (await uow.session.execute(select(EscalationRow))).scalars()
    assert row.status == "resolved"


async def test_an_angry_message_escalates_and_webhooks_are_queued_with_the_event(stack):
    opened = case_opened(at=stack.clock.at)
    await stack.deliver(opened)
    event_id = await stack.deliver(
        customer_wrote(
            opened,
            at=stack.clock.advance(minutes=5),
            text="Dette er helt uakseptabelt, jeg kontakter advokat!",
        )
    )
    (raised,) = await stack.events(EscalationRaised)
    assert raised.trigger == "angry_message"
    assert raised.trigger_event_id == event_id
    assert "threatening" in raised.reason
    async with stack.transaction() as uow:
        queued = list((await uow.session.execute(select(deliveries))).all())
    assert [(d.recipient, d.event_type) for d in queued] == [
        ("nora", "switchboard.escalation.raised")
    ]


async def test_a_waiting_vip_is_escalated(stack):
    opened = case_opened(at=stack.clock.at, tier="vip")
    await stack.deliver(opened)
    stack.clock.advance(seconds=2)
    await stack.fire_timers()
    raised = await stack.events(EscalationRaised)
    assert [e.trigger for e in raised] == ["vip_waiting"]
    assert raised[0].vip is False
    assert raised[0].policy_id == "fast"  # named by the case's SLA policy


async def test_a_redelivered_case_opened_changes_nothing(stack):
    opened = case_opened(at=stack.clock.at)
    await stack.deliver(opened)
    await stack.deliver(opened)
    stack.clock.advance(hours=1)
    await stack.fire_timers()
    assert len(await stack.events(EscalationRaised)) == 1
