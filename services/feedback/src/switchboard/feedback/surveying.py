"""Sending a survey when its delay runs out, and taking the customer's one answer."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import DetractorAlerted, SurveyAnswered, SurveyRequested
from switchboard.contracts.events.common import Channel
from switchboard.contracts.events.feedback_alerts import Scores
from switchboard.contracts.events.feedback_alerts import Threshold as WireThreshold
from switchboard.contracts.events.scores import Question as WireQuestion
from switchboard.feedback.adapters.orm import (
    AnswerRecord,
    CaseRecord,
    CustomerRecord,
    FollowUpRecord,
    SurveyRecord,
)
from switchboard.feedback.domain import kpis
from switchboard.feedback.domain.answers import Answer, Threshold, validate_answer
from switchboard.feedback.domain.surveys import (
    SendSurvey,
    SurveyAlreadyAnswered,
    UnknownSurvey,
    ensure_open,
    on_due,
)
from switchboard.feedback.domain.templates import Question, SurveyTemplate, template_for
from switchboard.feedback.domain.tokens import sign_survey_link
from switchboard.feedback.handlers import add_to_rollups
from switchboard.feedback.settings import FeedbackSettings
from switchboard.servicekit.db import utcnow
from switchboard.servicekit.outbox import add_event
from switchboard.servicekit.timers import Timer

SOURCE = "/switchboard/feedback"


def survey_link(*, settings: FeedbackSettings, survey_id: str, expires_at: datetime) -> str:
    token = sign_survey_link(
        survey_id=survey_id, expires_at=expires_at, secret=settings.link_secret_bytes[0]
    )
    return f"{settings.public_base_url.rstrip('/')}/surveys/{token}"


def template_of(survey: SurveyRecord) -> SurveyTemplate:
    return template_for(survey.language).asking(tuple(Question(q) for q in survey.questions))


async def send_due_survey(
    session: AsyncSession,
    timer: Timer,
    *,
    settings: FeedbackSettings,
    clock: Callable[[], datetime] = utcnow,
) -> None:
    """The survey delay of a resolved case ran out: request its survey unless it came back."""
    now = clock()
    case = await session.get(CaseRecord, timer.key, with_for_update=True)
    if case is None or case.resolved_at is None or case.customer_id is None:
        return
    customer = await session.get(CustomerRecord, case.customer_id, with_for_update=True)
    if customer is None:
        customer = CustomerRecord(customer_id=case.customer_id)
        session.add(customer)
    already = await session.scalar(
        select(SurveyRecord.survey_id).where(SurveyRecord.case_id == case.case_id)
    )
    decision = on_due(
        resolved_at=case.resolved_at,
        reopened_at=case.reopened_at,
        case_already_surveyed=already is not None,
        customer_last_surveyed_at=customer.last_surveyed_at,
        now=now,
        policy=settings.survey_policy,
    )
    if not isinstance(decision, SendSurvey):
        return
    survey = SurveyRecord(
        survey_id=str(uuid.uuid4()),
        case_id=case.case_id,
        customer_id=case.customer_id,
        region=case.region,
        channel=case.channel,
        language=case.language or "en",
        template_language=template_for(case.language).language,
        questions=[q.value for q in settings.survey_questions],
        thread_ref=case.thread_ref,
        vip=case.vip,
        agent_id=case.agent_id,
        team=case.team,
        requested_at=decision.requested_at,
        expires_at=decision.expires_at.replace(microsecond=0),
    )
    session.add(survey)
    customer.last_surveyed_at = decision.requested_at
    requested = SurveyRequested(
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
    await add_event(session, Envelope(data=requested, source=SOURCE))
    await add_to_rollups(
        session,
        settings=settings,
        at=survey.requested_at,
        region=survey.region,
        channel=survey.channel,
        agent_id=survey.agent_id,
        team=survey.team,
        counters=kpis.survey_requested_counters(),
    )


async def answer_survey(
    *,
    session: AsyncSession,
    survey_id: str,
    answer: Answer,
    settings: FeedbackSettings,
    now: datetime,
) -> SurveyRecord:
    """Take the one answer a survey accepts; emit it, count it, and alert on a detractor."""
    survey = await session.get(SurveyRecord, survey_id, with_for_update=True)
    if survey is None:
        raise UnknownSurvey()
    ensure_open(expires_at=survey.expires_at, answered_at=survey.answered_at, now=now)
    answer = validate_answer(answer, template=template_of(survey))
    claimed = await session.execute(
        update(SurveyRecord)
        .where(SurveyRecord.survey_id == survey_id, SurveyRecord.answered_at.is_(None))
        .values(answered_at=now)
        .returning(SurveyRecord.survey_id)
    )
    if claimed.first() is None:
        raise SurveyAlreadyAnswered()
    session.add(
        AnswerRecord(
            survey_id=survey.survey_id,
            case_id=survey.case_id,
            region=survey.region,
            channel=survey.channel,
            agent_id=survey.agent_id,
            team=survey.team,
            csat=answer.csat,
            nps=answer.nps,
            ces=answer.ces,
            comment=answer.comment,
            reasons=list(answer.reasons),
            answered_at=now,
        )
    )
    answered = SurveyAnswered(
        survey_id=survey.survey_id,
        case_id=survey.case_id,
        customer_id=survey.customer_id,
        channel=Channel(survey.channel),
        language=survey.language,
        region=survey.region,
        agent_id=survey.agent_id,
        team=survey.team,
        csat=answer.csat,
        nps=answer.nps,
        ces=answer.ces,
        comment=answer.comment,
        reasons=answer.reasons,
        answered_at=now,
    )
    await add_event(session, Envelope(data=answered, source=SOURCE))
    await add_to_rollups(
        session,
        settings=settings,
        at=now,
        region=survey.region,
        channel=survey.channel,
        agent_id=survey.agent_id,
        team=survey.team,
        counters=kpis.answer_counters(csat=answer.csat, nps=answer.nps, ces=answer.ces),
    )
    breached = settings.detractor_rule.breached(answer)
    if breached is not None:
        await raise_detractor_alert(
            session, survey=survey, answer=answer, threshold=breached, now=now
        )
    return survey


async def raise_detractor_alert(
    session: AsyncSession,
    *,
    survey: SurveyRecord,
    answer: Answer,
    threshold: Threshold,
    now: datetime,
) -> None:
    alert_id = str(uuid.uuid4())
    session.add(
        FollowUpRecord(
            alert_id=alert_id,
            survey_id=survey.survey_id,
            case_id=survey.case_id,
            region=survey.region,
            question=threshold.question.value,
            at_most=threshold.at_most,
            raised_at=now,
        )
    )
    alert = DetractorAlerted(
        alert_id=alert_id,
        survey_id=survey.survey_id,
        case_id=survey.case_id,
        customer_id=survey.customer_id,
        region=survey.region,
        channel=Channel(survey.channel),
        language=survey.language,
        agent_id=survey.agent_id,
        team=survey.team,
        scores=Scores(csat=answer.csat, nps=answer.nps, ces=answer.ces),
        threshold=WireThreshold(
            question=WireQuestion(threshold.question.value), at_most=threshold.at_most
        ),
        comment=answer.comment,
        reasons=answer.reasons,
        vip=survey.vip,
        raised_at=now,
    )
    await add_event(session, Envelope(data=alert, source=SOURCE))
