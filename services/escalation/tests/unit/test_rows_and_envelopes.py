"""What the handlers leave behind besides the events' data: the case's rows and timers, the
envelopes on the outbox (escalation's own CloudEvents source) and webhook deliveries that
carry exactly the envelope published with them."""

from __future__ import annotations

import json

from sqlalchemy import select

from switchboard.contracts.envelope import Envelope, decode
from switchboard.contracts.events import REGISTRY, EscalationRaised
from switchboard.escalation.adapters.orm import CaseRow, ClockRow
from switchboard.escalation.service_layer.sla_clocks import SLA_TIMER
from switchboard.escalation.service_layer.triggers import VIP_TIMER
from switchboard.servicekit.tables import deliveries, outbox, timers

from ..conftest import case_opened, customer_wrote


async def staged_envelopes(stack) -> list[Envelope]:
    """The outbox as the relay would find it now, decoded."""
    async with stack.transaction() as uow:
        rows = (await uow.session.execute(select(outbox).order_by(outbox.c.id))).all()
    return [decode(REGISTRY, r.payload, [(k, v.encode()) for k, v in r.headers]) for r in rows]


async def test_a_case_opened_starts_its_clocks_and_their_timers(stack):
    opened = case_opened(at=stack.clock.at, tier="vip")
    await stack.deliver(opened)
    async with stack.transaction() as uow:
        case = await uow.session.get(CaseRow, opened.case_id)
        clocks = (await uow.session.execute(select(ClockRow))).scalars().all()
        due = (await uow.session.execute(select(timers.c.kind, timers.c.key))).all()
    assert (case.status, case.sla_policy, case.first_responded_at) == ("open", "premium", None)
    assert {(c.metric, c.state, c.policy) for c in clocks} == {
        ("first_response", "running", "premium"),
        ("resolution", "running", "premium"),
    }
    assert sorted(due) == sorted(
        [(SLA_TIMER, c.clock_id) for c in clocks] + [(VIP_TIMER, opened.case_id)]
    )
    assert await stack.events() == []  # starting a clock says nothing yet


async def test_published_envelopes_name_escalation_as_their_source(stack):
    opened = case_opened(at=stack.clock.at)
    await stack.deliver(opened)
    stack.clock.advance(hours=1)
    await stack.fire_timers()
    envelopes = await staged_envelopes(stack)
    assert [e.type for e in envelopes] == [
        "switchboard.sla.warned",
        "switchboard.sla.warned",
        "switchboard.sla.breached",
        "switchboard.escalation.raised",
    ]
    assert {e.source for e in envelopes} == {"/switchboard/escalation"}


async def test_escalation_raised_goes_out_as_version_2(stack):
    opened = case_opened(at=stack.clock.at)
    await stack.deliver(opened)
    stack.clock.advance(hours=1)
    await stack.fire_timers()
    async with stack.transaction() as uow:
        rows = (await uow.session.execute(select(outbox.c.event_type, outbox.c.headers))).all()
    schemas = {dict(r.headers)["ce_dataschema"] for r in rows if r.event_type.endswith(".raised")}
    assert schemas == {"urn:switchboard:schema:switchboard.escalation.raised:v2"}


async def test_a_webhook_delivery_carries_the_envelope_published_with_it(stack):
    opened = case_opened(at=stack.clock.at)
    await stack.deliver(opened)
    angry = "Dette er helt uakseptabelt."
    await stack.deliver(customer_wrote(opened, at=stack.clock.advance(minutes=5), text=angry))
    (raised,) = [e for e in await staged_envelopes(stack) if isinstance(e.data, EscalationRaised)]
    async with stack.transaction() as uow:
        (delivery,) = (await uow.session.execute(select(deliveries))).all()
    assert (delivery.recipient, delivery.message_id) == ("nora", raised.id)
    assert delivery.created_at == delivery.next_attempt_at == raised.time
    body = json.loads(delivery.body)
    assert (body["type"], body["timestamp"]) == (raised.type, raised.time.isoformat())
    assert body["data"]["escalation_id"] == raised.data.escalation_id
