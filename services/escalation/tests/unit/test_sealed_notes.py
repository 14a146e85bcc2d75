"""Free texts on the escalations topic that may quote the customer — a manual raise's
reason, a coordinator's acknowledgement and resolution notes — go out sealed under the
case's customer's key (plain fields empty); reasons escalation composes stay plain; an
erased customer's note is withheld; intake not answering refuses the action (503 from the
API) and changes nothing; no note asks for no key."""

import pytest

from switchboard.contracts.events import (
    EscalationAcknowledged,
    EscalationRaised,
    EscalationResolved,
)
from switchboard.contracts.events.common import Actor, ActorKind
from switchboard.escalation.adapters.orm import EscalationRow
from switchboard.escalation.domain.escalation import TriggerKind
from switchboard.escalation.service_layer import escalations
from switchboard.escalation.service_layer.escalations import RaiseRequest
from switchboard.servicekit.auth import Principal, Role
from switchboard.servicekit.faults import DependencyUnavailable

from ..conftest import case_opened

MAGNUS = Principal("magnus", Role.COORDINATOR, frozenset({"nordics"}))
QUOTE = "Kari Nordmann (kari@example.no) truer med advokat"


async def raise_manually(stack, opened) -> str:
    async with stack.transaction() as uow:
        row = await escalations.raise_escalation(
            uow=uow,
            loaded=await uow.deps.config.current(uow.session),
            request=RaiseRequest(
                case_id=opened.case_id,
                region="nordics",
                priority=3,
                trigger=TriggerKind.MANUAL,
                raised_by=Actor(kind=ActorKind.AGENT, id="agent-1"),
                customer_id=opened.customer_id,
                reason=QUOTE,
            ),
            at=stack.clock.at,
        )
    assert row is not None
    return row.escalation_id


async def act(stack, action, escalation_id: str, note: str | None) -> None:
    async with stack.transaction() as uow:
        await action(
            uow=uow,
            loaded=await uow.deps.config.current(uow.session),
            escalation_id=escalation_id,
            principal=MAGNUS,
            note=note,
            at=stack.clock.at,
        )


async def test_reasons_and_notes_that_may_quote_the_customer_go_out_sealed(stack):
    opened = case_opened(at=stack.clock.at)
    await stack.deliver(opened)
    escalation_id = await raise_manually(stack, opened)
    await act(stack, escalations.acknowledge, escalation_id, QUOTE)
    await act(stack, escalations.resolve, escalation_id, QUOTE)

    (raised,) = await stack.events(EscalationRaised)
    (acknowledged,) = await stack.events(EscalationAcknowledged)
    (resolved,) = await stack.events(EscalationResolved)
    assert (raised.reason, acknowledged.note, resolved.note) == (None, None, None)
    assert stack.keys.open(raised.sealed) == {"reason": QUOTE}
    assert stack.keys.open(acknowledged.sealed) == {"note": QUOTE}
    assert stack.keys.open(resolved.sealed) == {"note": QUOTE}
    for event in (raised, acknowledged, resolved):
        assert event.sealed is not None
        assert event.sealed.key_id == opened.customer_id
        assert "Nordmann" not in event.model_dump_json()
    async with stack.transaction() as uow:
        row = await uow.session.get(EscalationRow, escalation_id)
        assert row is not None
        assert row.reason == QUOTE, "the row keeps it (erased with it)"


async def test_a_breach_reason_stays_plain_and_no_note_asks_for_no_key(stack):
    opened = case_opened(at=stack.clock.at)
    await stack.deliver(opened)
    stack.clock.advance(hours=1)
    await stack.fire_timers()
    (raised,) = await stack.events(EscalationRaised)
    await act(stack, escalations.acknowledge, raised.escalation_id, None)

    assert raised.sealed is None
    assert raised.trigger == "sla_breach"
    (acknowledged,) = await stack.events(EscalationAcknowledged)
    assert (acknowledged.note, acknowledged.sealed) == (None, None)
    assert stack.keys.asked == []


async def test_an_erased_customers_note_is_withheld(stack):
    opened = case_opened(at=stack.clock.at)
    await stack.deliver(opened)
    escalation_id = await raise_manually(stack, opened)
    stack.keys.erased.add(opened.customer_id)

    await act(stack, escalations.acknowledge, escalation_id, QUOTE)

    (acknowledged,) = await stack.events(EscalationAcknowledged)
    assert (acknowledged.note, acknowledged.sealed) == (None, None)


async def test_intake_not_answering_refuses_a_note_and_changes_nothing(stack):
    opened = case_opened(at=stack.clock.at)
    await stack.deliver(opened)
    escalation_id = await raise_manually(stack, opened)
    stack.keys.down = True

    with pytest.raises(DependencyUnavailable):
        await act(stack, escalations.acknowledge, escalation_id, QUOTE)

    assert await stack.events(EscalationAcknowledged) == []
    async with stack.transaction() as uow:
        row = await uow.session.get(EscalationRow, escalation_id)
        assert row is not None
        assert row.status == "open"
    await act(stack, escalations.acknowledge, escalation_id, None)
    assert len(await stack.events(EscalationAcknowledged)) == 1, "without a note it goes on"
