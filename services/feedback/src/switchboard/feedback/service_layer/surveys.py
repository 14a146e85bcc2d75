"""A resolved case's survey: timed after the resolution, called off by a reopen, and sent
when its delay runs out unless the case came back or the customer was surveyed lately."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from switchboard.contracts.events import SurveyRequested
from switchboard.contracts.events.common import Channel
from switchboard.contracts.events.scores import Question as WireQuestion
from switchboard.feedback.adapters.orm import CaseRow, CustomerRow, SurveyRow
from switchboard.feedback.domain import kpis
from switchboard.feedback.domain.surveys import ScheduleSurvey, SendSurvey, on_due, on_resolution
from switchboard.feedback.domain.templates import Question, SurveyTemplate, template_for
from switchboard.feedback.domain.tokens import sign_survey_link
from switchboard.feedback.service_layer.rollups import add_to_rollups
from switchboard.feedback.service_layer.unit_of_work import FeedbackUnitOfWork
from switchboard.feedback.settings import FeedbackSettings
from switchboard.servicekit.timers import Timer

SURVEY_DUE = "feedback.survey-due"


async def surveyed_already(uow: FeedbackUnitOfWork, *, case_id: str) -> bool:
    survey_id = await uow.session.scalar(
        select(SurveyRow.survey_id).where(SurveyRow.case_id == case_id)
    )
    return survey_id is not None


async def schedule_survey(
    uow: FeedbackUnitOfWork, *, case_id: str, customer_id: str, resolved_at: datetime
) -> None:
    """Time the survey of a resolution after the delay, unless it would be suppressed."""
    already = await surveyed_already(uow, case_id=case_id)
    customer = await uow.session.get(CustomerRow, customer_id)
    decision = on_resolution(
        resolved_at=resolved_at,
        case_already_surveyed=already,
        customer_last_surveyed_at=customer.last_surveyed_at if customer else None,
        policy=uow.deps.settings.survey_policy,
    )
    if isinstance(decision, ScheduleSurvey):
        await uow.schedule(SURVEY_DUE, case_id, decision.due_at)


async def cancel_survey(uow: FeedbackUnitOfWork, *, case_id: str) -> None:
    """A survey still waiting for its delay is called off (the timer re-checks anyway)."""
    await uow.cancel(SURVEY_DUE, case_id)


async def send_due_survey(timer: Timer, uow: FeedbackUnitOfWork) -> None:
    """The survey delay of a resolved case ran out: request its survey unless it came back."""
    settings = uow.deps.settings
    now = uow.deps.clock()
    case = await uow.session.get(CaseRow, timer.key, with_for_update=True)
    if case is None or case.resolved_at is None or case.customer_id is None:
        return
    customer = await uow.session.get(CustomerRow, case.customer_id, with_for_update=True)
    if customer is None:
        customer = CustomerRow(customer_id=case.customer_id)
        uow.session.add(customer)
    decision = on_due(
        resolved_at=case.resolved_at,
        reopened_at=case.reopened_at,
        case_already_surveyed=await surveyed_already(uow, case_id=case.case_id),
        customer_last_surveyed_at=customer.last_surveyed_at,
        now=now,
        policy=settings.survey_policy,
    )
    if not isinstance(decision, SendSurvey):
        return
    survey = SurveyRow(
        survey_id=str(uuid.uuid4()),
        case_id=case.case_id,
        customer_id=case.customer_id,
        region=case.region,
        channel=case.channel,
        language=case.language or "en",
        questions=[q.value for q in settings.survey_questions],
        thread_ref=case.thread_ref,
        vip=case.vip,
        agent_id=case.agent_id,
        team=case.team,
        requested_at=decision.requested_at,
        expires_at=decision.expires_at.replace(microsecond=0),
    )
    uow.session.add(survey)
    customer.last_surveyed_at = decision.requested_at
    await uow.publish(survey_requested(survey, settings=settings))
    await add_to_rollups(
        uow,
        at=survey.requested_at,
        region=survey.region,
        channel=survey.channel,
        agent_id=survey.agent_id,
        team=survey.team,
        counters=kpis.survey_requested_counters(),
    )


def survey_requested(survey: SurveyRow, *, settings: FeedbackSettings) -> SurveyRequested:
    return SurveyRequested(
        survey_id=survey.survey_id,
        case_id=survey.case_id,
        customer_id=survey.customer_id,
        channel=Channel(survey.channel),
        language=survey.language,
        region=survey.region,
        link=survey_link(
            settings=settings, survey_id=survey.survey_id, expires_at=survey.expires_at
        ),
        questions=tuple(WireQuestion(q) for q in survey.questions),
        thread_ref=survey.thread_ref,
        requested_at=survey.requested_at,
        expires_at=survey.expires_at,
    )


def survey_link(*, settings: FeedbackSettings, survey_id: str, expires_at: datetime) -> str:
    token = sign_survey_link(
        survey_id=survey_id, expires_at=expires_at, secret=settings.link_secret_bytes[0]
    )
    return f"{settings.public_base_url.rstrip('/')}/surveys/{token}"


def template_of(survey: SurveyRow) -> SurveyTemplate:
    """The survey's template in its language, asking the questions it was sent with."""
    return template_for(survey.language).asking(tuple(Question(q) for q in survey.questions))
