"""A customer's one answer to a survey: kept, published, counted, and a detractor alerted."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import update

from switchboard.contracts.events import DetractorAlerted, SurveyAnswered
from switchboard.contracts.events.common import Channel, Sealed
from switchboard.contracts.events.feedback_alerts import Scores
from switchboard.contracts.events.feedback_alerts import Threshold as WireThreshold
from switchboard.contracts.events.scores import Question as WireQuestion
from switchboard.feedback.adapters.orm import AnswerRow, FollowUpRow, SurveyRow
from switchboard.feedback.domain import kpis
from switchboard.feedback.domain.answers import Answer, Threshold, validate_answer
from switchboard.feedback.domain.surveys import SurveyAlreadyAnswered, UnknownSurvey, ensure_open
from switchboard.feedback.service_layer.rollups import add_to_rollups
from switchboard.feedback.service_layer.surveys import template_of
from switchboard.feedback.service_layer.unit_of_work import FeedbackUnitOfWork
from switchboard.servicekit.faults import DependencyUnavailable
from switchboard.servicekit.sealing import seal


async def answer_survey(uow: FeedbackUnitOfWork, *, survey_id: str, answer: Answer) -> SurveyRow:
    """Take the one answer a survey accepts; emit it, count it, and alert on a detractor.
    Raises ``SurveyRefused`` (unknown, expired, answered) or ``InvalidAnswer``."""
    now = uow.deps.clock()
    survey = await uow.session.get(SurveyRow, survey_id, with_for_update=True)
    if survey is None:
        raise UnknownSurvey()
    ensure_open(expires_at=survey.expires_at, answered_at=survey.answered_at, now=now)
    answer = validate_answer(answer, template=template_of(survey))
    claimed = await uow.session.execute(
        update(SurveyRow)
        .where(SurveyRow.survey_id == survey_id, SurveyRow.answered_at.is_(None))
        .values(answered_at=now)
        .returning(SurveyRow.survey_id)
    )
    if claimed.first() is None:
        raise SurveyAlreadyAnswered()
    uow.session.add(
        AnswerRow(
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
    sealed = await sealed_comment(uow, survey.customer_id, answer.comment)
    await uow.publish(survey_answered(survey, answer=answer, at=now, sealed=sealed))
    await add_to_rollups(
        uow,
        at=now,
        region=survey.region,
        channel=survey.channel,
        agent_id=survey.agent_id,
        team=survey.team,
        counters=kpis.answer_counters(csat=answer.csat, nps=answer.nps, ces=answer.ces),
    )
    if survey.undelivered_at is not None:  # an answer says it reached the customer after all
        survey.undelivered_at, survey.undelivered_reason = None, None
        await add_to_rollups(
            uow,
            at=survey.requested_at,
            region=survey.region,
            channel=survey.channel,
            agent_id=survey.agent_id,
            team=survey.team,
            counters=kpis.survey_delivered_after_all_counters(),
        )
    breached = uow.deps.settings.detractor_rule.breached(answer)
    if breached is not None:
        await raise_detractor_alert(
            uow, survey=survey, answer=answer, threshold=breached, at=now, sealed=sealed
        )
    return survey


async def sealed_comment(
    uow: FeedbackUnitOfWork, customer_id: str, comment: str | None
) -> Sealed | None:
    """The comment sealed under its customer's key, for the events (None without a comment,
    or without intake's keys configured)."""
    keys = uow.deps.personal_keys
    if not comment or keys is None:
        return None
    key = await keys.key(customer_id)
    if key is None:
        raise DependencyUnavailable("key holder", f"no data key of customer {customer_id!r}")
    parts = seal({"comment": comment}, key_id=customer_id, key=key)
    return Sealed(key_id=parts.key_id, nonce=parts.nonce, ciphertext=parts.ciphertext)


def survey_answered(
    survey: SurveyRow, *, answer: Answer, at: datetime, sealed: Sealed | None = None
) -> SurveyAnswered:
    return SurveyAnswered(
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
        comment=None if sealed else answer.comment,
        sealed=sealed,
        reasons=answer.reasons,
        answered_at=at,
    )


async def raise_detractor_alert(
    uow: FeedbackUnitOfWork,
    *,
    survey: SurveyRow,
    answer: Answer,
    threshold: Threshold,
    at: datetime,
    sealed: Sealed | None = None,
) -> None:
    alert_id = str(uuid.uuid4())
    uow.session.add(
        FollowUpRow(
            alert_id=alert_id,
            survey_id=survey.survey_id,
            case_id=survey.case_id,
            region=survey.region,
            question=threshold.question.value,
            at_most=threshold.at_most,
            raised_at=at,
        )
    )
    await uow.publish(
        DetractorAlerted(
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
            comment=None if sealed else answer.comment,
            sealed=sealed,
            reasons=answer.reasons,
            vip=survey.vip,
            raised_at=at,
        )
    )
