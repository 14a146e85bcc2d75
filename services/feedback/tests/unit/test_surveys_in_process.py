"""Surveys through feedback's own handler table and timers, in-process on SQLite: a
resolution is surveyed once after the delay, a reopen or a recent survey stops it, and the
one answer is published, counted and alerted on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from switchboard.contracts.events import (
    CustomerMerged,
    DetractorAlerted,
    SurveyAnswered,
    SurveyDeliveryChanged,
    SurveyRequested,
)
from switchboard.contracts.events.cases import DeliveryState
from switchboard.contracts.events.common import Actor, ActorKind
from switchboard.feedback.adapters.orm import CustomerRow, FollowUpRow, SurveyRow
from switchboard.feedback.domain.answers import Answer
from switchboard.feedback.domain.kpis import compute_kpis
from switchboard.feedback.domain.surveys import SurveyAlreadyAnswered, SurveyExpired
from switchboard.feedback.service_layer.answers import answer_survey

from ..builders import case_reopened, case_resolved, new_id
from .conftest import SURVEY_DELAY, Feedback, resolve, totals


async def answer(feedback: Feedback, survey_id: str, given: Answer) -> None:
    async with feedback.service.transaction() as uow:
        await answer_survey(uow, survey_id=survey_id, answer=given)


async def test_a_resolution_is_surveyed_once_after_the_delay_and_its_answer_counted(
    feedback, clock
):
    resolved_at = clock.now
    case_id, customer_id = await resolve(feedback, clock, language="fi")

    assert await feedback.fire_timers(now=clock.turn(SURVEY_DELAY - timedelta(seconds=1))) == 0
    assert await feedback.fire_timers(now=clock.turn(timedelta(seconds=2))) == 1
    assert await feedback.fire_timers(now=clock.turn(timedelta(minutes=1))) == 0

    (request,) = await feedback.published(SurveyRequested)
    assert (request.case_id, request.customer_id, request.language) == (case_id, customer_id, "fi")
    assert request.requested_at == resolved_at + SURVEY_DELAY + timedelta(seconds=1)
    assert request.link.startswith("https://feedback.example/surveys/")
    assert [q.value for q in request.questions] == ["csat", "nps", "ces"]
    assert request.thread_ref == f"<{case_id}@mail.example>"
    async with feedback.service.sessions() as session:
        customer = await session.get(CustomerRow, customer_id)
    assert customer is not None
    assert customer.last_surveyed_at == request.requested_at

    clock.turn(timedelta(minutes=5))
    await answer(feedback, request.survey_id, Answer(csat=1, nps=0))
    with pytest.raises(SurveyAlreadyAnswered):
        await answer(feedback, request.survey_id, Answer(csat=5))

    assert [type(e) for e in await feedback.published()] == [
        SurveyRequested,
        SurveyAnswered,
        DetractorAlerted,
    ]
    total = await totals(feedback, agent_id="agent-1")
    assert (
        total.surveys_requested,
        total.surveys_answered,
        total.csat_answers,
        total.csat_satisfied,
        total.nps_detractors,
    ) == (1, 1, 1, 0, 1)
    assert (total.first_responses, total.first_response_ms_sum) == (1, 300_000)
    assert (total.resolutions, total.resolution_ms_sum) == (1, 600_000)


async def test_a_detractor_raises_one_alert_and_a_promoter_none(feedback, clock):
    detractor_case, detractor = await resolve(feedback, clock, language="pl")
    promoter_case, _ = await resolve(feedback, clock, language="fr")
    assert await feedback.fire_timers(now=clock.turn(SURVEY_DELAY)) == 2
    surveys = {r.case_id: r.survey_id for r in await feedback.published(SurveyRequested)}

    await answer(
        feedback,
        surveys[detractor_case],
        Answer(csat=2, nps=3, ces=2, comment=" Za długo ", reasons=("slow_response",)),
    )
    await answer(feedback, surveys[promoter_case], Answer(csat=5, nps=10, ces=7))

    (alert,) = await feedback.published(DetractorAlerted)
    assert (alert.case_id, alert.customer_id, alert.agent_id) == (
        detractor_case,
        detractor,
        "agent-1",
    )
    assert (alert.threshold.question, alert.threshold.at_most) == ("nps", 6)
    assert (alert.scores.csat, alert.scores.nps, alert.scores.ces) == (2, 3, 2)
    assert (alert.comment, alert.reasons) == ("Za długo", ("slow_response",))
    answered = {a.case_id: a for a in await feedback.published(SurveyAnswered)}
    assert answered[promoter_case].nps == 10
    assert answered[detractor_case].answered_at == clock.now
    async with feedback.service.sessions() as session:
        followups = (await session.scalars(select(FollowUpRow.case_id))).all()
    assert followups == [detractor_case]
    total = await totals(feedback)
    assert (total.nps_promoters, total.nps_detractors, total.ces_sum) == (1, 1, 9)


async def test_a_case_reopened_within_the_delay_is_not_surveyed(feedback, clock):
    case_id, customer_id = await resolve(feedback, clock)
    resolved_at = clock.now
    await feedback.deliver(
        case_reopened(
            case_id=case_id,
            customer_id=customer_id,
            resolved_at=resolved_at,
            at=clock.turn(timedelta(seconds=30)),
        )
    )

    assert await feedback.fire_timers(now=clock.turn(SURVEY_DELAY)) == 0
    assert await feedback.published(SurveyRequested) == []
    assert (await totals(feedback)).cases_reopened == 1


async def test_a_reopen_heard_before_its_resolution_still_stops_the_survey(feedback, clock):
    """The reopen (cases topic) may overtake the resolution (assignments topic): the timer
    then fires, and checks the case again."""
    case_id, customer_id, resolved_at = new_id("case"), new_id("cust"), clock.now
    await feedback.deliver(
        case_reopened(
            case_id=case_id,
            customer_id=customer_id,
            resolved_at=resolved_at,
            at=resolved_at + timedelta(seconds=5),
        ),
        case_resolved(
            case_id=case_id,
            customer_id=customer_id,
            opened_at=resolved_at - timedelta(hours=1),
            at=resolved_at,
        ),
    )

    assert await feedback.fire_timers(now=clock.turn(SURVEY_DELAY)) == 1
    assert await feedback.published(SurveyRequested) == []


async def test_a_customer_surveyed_lately_is_not_surveyed_again(feedback, clock):
    first_case, customer_id = await resolve(feedback, clock)
    assert await feedback.fire_timers(now=clock.turn(SURVEY_DELAY)) == 1

    clock.turn(timedelta(days=1))
    await resolve(feedback, clock, customer_id=customer_id)
    assert await feedback.fire_timers(now=clock.turn(SURVEY_DELAY)) == 0

    _, other = await resolve(feedback, clock)
    await resolve(feedback, clock, customer_id=other)
    assert await feedback.fire_timers(now=clock.turn(SURVEY_DELAY)) == 2, "both were due"

    requested = await feedback.published(SurveyRequested)
    assert [r.customer_id for r in requested] == [customer_id, other]
    assert requested[0].case_id == first_case


async def test_a_redelivered_resolution_is_counted_and_surveyed_once(feedback, clock):
    case_id, customer_id = new_id("case"), new_id("cust")
    resolved = case_resolved(
        case_id=case_id,
        customer_id=customer_id,
        opened_at=clock.now - timedelta(minutes=3),
        at=clock.now,
    )
    (envelope,) = await feedback.deliver(resolved)
    await feedback.deliver(envelope)
    await feedback.deliver(envelope)

    assert await feedback.fire_timers(now=clock.turn(SURVEY_DELAY)) == 1
    assert len(await feedback.published(SurveyRequested)) == 1
    total = await totals(feedback)
    assert (total.resolutions, total.surveys_requested) == (1, 1)
    async with feedback.service.sessions() as session:
        surveys = (await session.scalars(select(SurveyRow.case_id))).all()
    assert surveys == [case_id]


async def test_a_survey_link_answered_too_late_is_refused(feedback, clock):
    await resolve(feedback, clock)
    await feedback.fire_timers(now=clock.turn(SURVEY_DELAY))
    (request,) = await feedback.published(SurveyRequested)

    clock.now = request.expires_at
    with pytest.raises(SurveyExpired):
        await answer(feedback, request.survey_id, Answer(csat=5))
    assert (await totals(feedback, around=request.requested_at.date())).surveys_answered == 0


async def test_a_merged_customer_s_survey_suppresses_the_survivor_s_next(feedback, clock):
    _, merged = await resolve(feedback, clock)
    assert await feedback.fire_timers(now=clock.turn(SURVEY_DELAY)) == 1
    await feedback.deliver(
        CustomerMerged(
            survivor_id="cust-survivor",
            merged_id=merged,
            merged_at=clock.now,
            by=Actor(kind=ActorKind.COORDINATOR, id="camilla"),
        )
    )
    async with feedback.service.sessions() as session:
        assert await session.get(CustomerRow, merged) is None
        moved = (await session.execute(select(SurveyRow))).scalars().one()
    assert moved.customer_id == "cust-survivor"

    clock.turn(timedelta(days=1))
    await resolve(feedback, clock, customer_id="cust-survivor")
    assert await feedback.fire_timers(now=clock.turn(SURVEY_DELAY)) == 0, "surveyed a day ago"
    assert len(await feedback.published(SurveyRequested)) == 1


def delivery_changed(request: SurveyRequested, state: str, reason: str | None = None):
    return SurveyDeliveryChanged(
        case_id=request.case_id,
        customer_id=request.customer_id,
        region=request.region,
        channel=request.channel,
        survey_id=request.survey_id,
        state=DeliveryState(state),
        changed_at=request.requested_at + timedelta(seconds=1),
        reason=reason,
    )


async def test_a_survey_intake_could_not_deliver_leaves_the_response_rate(feedback, clock):
    for _ in range(2):
        await resolve(feedback, clock, language="da")
    assert await feedback.fire_timers(now=clock.turn(SURVEY_DELAY + timedelta(seconds=1))) == 2
    withheld, sent = await feedback.published(SurveyRequested)
    reason = "the customer withdrew their consent to surveys"
    await feedback.deliver(
        delivery_changed(sent, "accepted"),
        delivery_changed(withheld, "failed", reason),
        delivery_changed(withheld, "failed", reason),  # told twice: counted once
    )
    await answer(feedback, sent.survey_id, Answer(csat=5))

    total = await totals(feedback, agent_id="agent-1")
    assert (total.surveys_requested, total.surveys_undelivered, total.surveys_answered) == (
        2,
        1,
        1,
    )
    assert compute_kpis(total).response_rate_percent == 100.0, "1 answered of 1 delivered"
    async with feedback.service.sessions() as session:
        row = await session.get(SurveyRow, withheld.survey_id)
    assert (row.undelivered_reason, row.undelivered_at is not None) == (reason, True)


async def test_an_answer_to_a_survey_counted_undelivered_takes_it_back(feedback, clock):
    await resolve(feedback, clock, language="da")
    assert await feedback.fire_timers(now=clock.turn(SURVEY_DELAY + timedelta(seconds=1))) == 1
    (request,) = await feedback.published(SurveyRequested)
    await feedback.deliver(delivery_changed(request, "failed", "the adapter gave up"))
    assert (await totals(feedback, agent_id="agent-1")).surveys_undelivered == 1

    await answer(feedback, request.survey_id, Answer(csat=4))  # it reached them after all

    total = await totals(feedback, agent_id="agent-1")
    assert (total.surveys_requested, total.surveys_undelivered, total.surveys_answered) == (
        1,
        0,
        1,
    )
    assert compute_kpis(total).response_rate_percent == 100.0
    await feedback.deliver(delivery_changed(request, "failed", "late report"))
    assert (await totals(feedback, agent_id="agent-1")).surveys_undelivered == 0
