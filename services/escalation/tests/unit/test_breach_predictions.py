"""Predicted breach in-process: routing's wait forecasts (CaseWaitEstimated) weighed
against the first-response deadline; SlaBreachPredicted once per clock, long before the
clock's own warnings; SlaRiskCleared when the case is offered."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from prometheus_client import REGISTRY

from switchboard.contracts.events import (
    CaseOffered,
    CaseOpened,
    CaseQueued,
    CaseWaitEstimated,
    SlaBreachPredicted,
    SlaRiskCleared,
    SlaWarned,
)
from switchboard.contracts.events.explanation import Explanation
from switchboard.escalation.entrypoints.app import HTTP_API
from switchboard.servicekit.service import service_app

from ..conftest import case_opened, replied


def estimate(
    opened: CaseOpened, *, at: datetime, position: int, per_minute: float
) -> CaseWaitEstimated:
    """As routing reckons it: position + 1 cases at the pace, or never at none."""
    expected = at + timedelta(minutes=(position + 1) / per_minute) if per_minute else None
    return CaseWaitEstimated(
        case_id=opened.case_id,
        region=opened.region,
        channel=opened.channel,
        queue_id=opened.region,
        position=position,
        served_per_minute=per_minute,
        expected_offer_at=expected,
        estimated_at=at,
    )


def offered(opened: CaseOpened, *, at: datetime) -> CaseOffered:
    return CaseOffered(
        case_id=opened.case_id,
        region=opened.region,
        channel=opened.channel,
        agent_id="agent-1",
        offer_id="offer-1",
        offered_at=at,
        expires_at=at + timedelta(seconds=30),
        explanation=Explanation.model_validate(
            {
                "trigger": "agent_freed",
                "policy_id": "default",
                "step_index": 0,
                "requirement": "true",
                "runner_up": {"kind": "case", "won_by": "none", "reason": "none waiting"},
            }
        ),
    )


def queued(opened: CaseOpened, *, at: datetime) -> CaseQueued:
    return CaseQueued(
        case_id=opened.case_id,
        region=opened.region,
        channel=opened.channel,
        queue_id=opened.region,
        policy_id="default",
        priority=opened.priority,
        reason="offer_declined",
        language="nb",
        enqueued_at=opened.opened_at,
        queued_at=at,
    )


async def test_an_understaffed_pool_puts_a_case_at_risk_long_before_the_half_way_warning(stack):
    # First response within 1 h (the default policy). The pool: one agent taking a case
    # every 10 minutes (0.1 a minute), 7 cases ahead: the offer comes in 80 minutes.
    opened = case_opened(at=stack.clock.at)
    await stack.deliver(opened)
    forecast_at = stack.clock.advance(seconds=15)  # routing's next look at its queues
    await stack.deliver(estimate(opened, at=forecast_at, position=7, per_minute=0.1))
    [risk] = await stack.events(SlaBreachPredicted)

    stack.clock.at = opened.opened_at + timedelta(minutes=30)
    await stack.fire_timers()
    half_way = next(e for e in await stack.events(SlaWarned) if e.metric == "first_response")

    assert (risk.case_id, risk.metric, risk.position, risk.served_per_minute) == (
        opened.case_id,
        "first_response",
        7,
        0.1,
    )
    assert risk.due_at == opened.opened_at + timedelta(hours=1)
    assert risk.expected_offer_at == forecast_at + timedelta(minutes=80)
    assert risk.margin_seconds == 360  # 10 % of the target, to accept and reply
    assert risk.predicted_at == forecast_at
    assert (half_way.fraction, half_way.warned_at) == (0.5, stack.clock.at)
    assert half_way.due_at == opened.opened_at + timedelta(minutes=30)
    assert half_way.warned_at - risk.predicted_at == timedelta(minutes=29, seconds=45)


async def test_a_case_in_time_is_not_at_risk_until_the_pace_drops(stack):
    opened = case_opened(at=stack.clock.at)
    await stack.deliver(opened)
    await stack.deliver(estimate(opened, at=stack.clock.at, position=3, per_minute=1.0))
    assert await stack.events(SlaBreachPredicted) == []

    # 50 minutes in, the offer would come at 0:55: within the deadline, not the margin.
    await stack.deliver(
        estimate(opened, at=stack.clock.advance(minutes=45), position=1, per_minute=0.2)
    )
    [risk] = await stack.events(SlaBreachPredicted)
    assert risk.expected_offer_at == opened.opened_at + timedelta(minutes=55)


def at_risk_counted(event: str) -> float:
    labels = {"metric": "first_response", "event": event}
    return REGISTRY.get_sample_value("escalation_sla_at_risk_total", labels) or 0.0


async def test_a_pool_serving_nobody_puts_its_cases_at_risk_once(stack):
    counted = at_risk_counted("predicted")
    opened = case_opened(at=stack.clock.at)
    await stack.deliver(opened)
    for minutes in (1, 2, 3):
        await stack.deliver(
            estimate(opened, at=stack.clock.advance(minutes=minutes), position=0, per_minute=0)
        )
    [risk] = await stack.events(SlaBreachPredicted)
    assert risk.expected_offer_at is None
    assert at_risk_counted("predicted") == counted + 1


async def test_the_offer_clears_the_risk_and_a_later_wait_is_not_predicted_again(stack):
    opened = case_opened(at=stack.clock.at)
    await stack.deliver(opened)
    before_offer = stack.clock.advance(minutes=1)
    await stack.deliver(estimate(opened, at=before_offer, position=0, per_minute=0))
    await stack.deliver(offered(opened, at=stack.clock.advance(minutes=1)))
    await stack.deliver(offered(opened, at=stack.clock.advance(seconds=5)))  # read twice
    await stack.deliver(estimate(opened, at=before_offer, position=0, per_minute=0))  # stale

    [cleared] = await stack.events(SlaRiskCleared)
    assert cleared.case_id == opened.case_id
    assert cleared.cleared_at == before_offer + timedelta(minutes=1)

    await stack.deliver(queued(opened, at=stack.clock.advance(minutes=1)))  # declined
    await stack.deliver(estimate(opened, at=stack.clock.at, position=0, per_minute=0))
    assert len(await stack.events(SlaBreachPredicted)) == 1
    assert len(await stack.events(SlaRiskCleared)) == 1


async def test_a_forecast_of_an_unknown_case_or_after_the_first_response_does_nothing(stack):
    opened = case_opened(at=stack.clock.at)
    await stack.deliver(estimate(opened, at=stack.clock.at, position=0, per_minute=0))
    await stack.deliver(opened)
    await stack.deliver(replied(opened, at=stack.clock.advance(minutes=5)))
    await stack.deliver(estimate(opened, at=stack.clock.at, position=0, per_minute=0))
    assert await stack.events(SlaBreachPredicted) == []


async def test_coordinators_see_their_regions_cases_at_risk_until_offered(stack):
    nordics = case_opened(at=stack.clock.at)
    france = case_opened(at=stack.clock.at, region="france")
    for opened in (nordics, france):
        await stack.deliver(opened)
        await stack.deliver(estimate(opened, at=stack.clock.at, position=4, per_minute=0.05))
    tokens = stack.service.service.tokens
    transport = httpx.ASGITransport(app=service_app(stack.service.service, HTTP_API))

    def bearer(role: str, *regions: str) -> dict[str, str]:
        token = tokens.issue(subject=f"{role}-1", role=role, regions=list(regions))
        return {"Authorization": f"Bearer {token}"}

    async with httpx.AsyncClient(transport=transport, base_url="http://escalation") as client:
        nora = await client.get("/v1/at-risk", headers=bearer("coordinator", "nordics"))
        admin = await client.get("/v1/at-risk", headers=bearer("admin"))
        await stack.deliver(offered(nordics, at=stack.clock.advance(minutes=2)))
        after_offer = await client.get("/v1/at-risk", headers=bearer("coordinator", "nordics"))

    assert nora.status_code == 200, nora.text
    [case] = nora.json()
    assert (case["case_id"], case["metric"], case["region"]) == (
        nordics.case_id,
        "first_response",
        "nordics",
    )
    assert (case["queue_position"], case["served_per_minute"]) == (4, 0.05)
    assert case["expected_offer_at"] == "2025-11-24T09:40:00Z"  # 5 cases at 0.05 a minute
    assert case["due_at"] == "2025-11-24T09:00:00Z"
    assert case["breached"] is False
    assert {c["case_id"] for c in admin.json()} == {nordics.case_id, france.case_id}
    assert after_offer.json() == []
