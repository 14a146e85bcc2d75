"""Triggers other than a breach, in-process: a detractor survey, a repeat contact, a
warning that the SLA policy escalates on, and an agent's reply that makes nothing happen."""

from datetime import timedelta

from switchboard.contracts.events import (
    CaseReopened,
    DetractorAlerted,
    EscalationRaised,
    ReplyDeliveryChanged,
    SlaWarned,
)

from ..conftest import case_opened, customer_wrote, escalation_config


async def test_a_detractor_alert_escalates_the_case(stack):
    opened = case_opened(at=stack.clock.at)
    await stack.deliver(opened)
    event_id = await stack.deliver(
        DetractorAlerted(
            alert_id="alert-1",
            survey_id="survey-1",
            case_id=opened.case_id,
            customer_id=opened.customer_id,
            region="nordics",
            channel="email",
            language="nb",
            scores={"csat": 1},
            threshold={"question": "csat", "at_most": 2},
            comment="Worst support ever",
            raised_at=stack.clock.advance(minutes=5),
        )
    )
    (raised,) = await stack.events(EscalationRaised)
    assert (raised.trigger, raised.trigger_event_id, raised.reason) == ("detractor", event_id, None)
    assert raised.sealed is not None
    assert raised.sealed.key_id == opened.customer_id
    assert stack.keys.open(raised.sealed) == {"reason": "Worst support ever"}, "it quotes them"


async def test_a_reply_that_could_not_be_delivered_escalates_and_its_progress_does_not(stack):
    opened = case_opened(at=stack.clock.at)
    await stack.deliver(opened)

    def changed(state: str, reason: str | None = None) -> ReplyDeliveryChanged:
        return ReplyDeliveryChanged(
            case_id=opened.case_id,
            customer_id=opened.customer_id,
            region="nordics",
            channel="email",
            reply_id="reply-1",
            agent_id="agent-1",
            state=state,
            changed_at=stack.clock.advance(minutes=1),
            reason=reason,
        )

    await stack.deliver(changed("accepted"))
    await stack.deliver(changed("delivered"))
    assert await stack.events(EscalationRaised) == []
    event_id = await stack.deliver(changed("failed", "mailbox full"))
    (raised,) = await stack.events(EscalationRaised)
    assert raised.trigger == "reply_delivery_failed"
    assert raised.trigger_event_id == event_id
    assert raised.reason is None, "a provider's error may quote an address: sealed"
    assert stack.keys.open(raised.sealed) == {
        "reason": "reply reply-1 was not delivered: mailbox full"
    }
    assert (raised.raised_by.kind, raised.raised_by.id) == ("system", "intake")


async def test_a_repeat_contact_reopening_a_case_escalates_and_restarts_resolution(stack):
    opened = case_opened(at=stack.clock.at)
    await stack.deliver(opened)
    await stack.deliver(
        CaseReopened(
            case_id=opened.case_id,
            customer_id=opened.customer_id,
            region="nordics",
            channel="email",
            reopened_at=stack.clock.advance(hours=2),
            reason="repeat_contact",
            previous_resolved_at=stack.clock.at - timedelta(hours=1),
            priority=3,
            language="nb",
        )
    )
    (raised,) = await stack.events(EscalationRaised)
    assert raised.trigger == "repeat_contact"


async def test_a_polite_message_raises_nothing(stack):
    opened = case_opened(at=stack.clock.at)
    await stack.deliver(opened)
    text = "Hei, takk for hjelpen så langt!"
    await stack.deliver(customer_wrote(opened, at=stack.clock.advance(minutes=1), text=text))
    assert await stack.events(EscalationRaised) == []


async def test_a_policy_may_escalate_on_a_warning(stack):
    config = escalation_config().replace(
        "    escalation_policy: standard\nescalation_policies",
        "    escalation_policy: standard\n    escalate_at: [0.75, 1.0]\nescalation_policies",
    )
    assert config != escalation_config()
    await stack.configured(config)
    opened = case_opened(at=stack.clock.at)
    await stack.deliver(opened)
    stack.clock.advance(minutes=45)  # 75 % of the default policy's hour
    await stack.fire_timers()
    assert [w.fraction for w in await stack.events(SlaWarned)] == [0.5, 0.75]
    (raised,) = await stack.events(EscalationRaised)
    assert raised.trigger == "sla_warning"
