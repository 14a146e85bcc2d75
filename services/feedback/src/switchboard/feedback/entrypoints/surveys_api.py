"""The public survey link: questions in the customer's language, and the one answer."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.feedback.adapters.orm import SurveyRow
from switchboard.feedback.domain.answers import Answer, InvalidAnswer
from switchboard.feedback.domain.surveys import (
    SurveyAlreadyAnswered,
    SurveyExpired,
    SurveyRefused,
    UnknownSurvey,
    ensure_open,
)
from switchboard.feedback.domain.templates import SCALES, Question
from switchboard.feedback.domain.tokens import ExpiredToken, InvalidToken, verify_survey_link
from switchboard.feedback.entrypoints.dependencies import (
    FeedbackService,
    FeedbackServiceDep,
    FeedbackUnitOfWorkDep,
)
from switchboard.feedback.entrypoints.survey_page import survey_form_html, thanks_html
from switchboard.feedback.service_layer.answers import answer_survey
from switchboard.feedback.service_layer.surveys import template_of
from switchboard.servicekit.http import Problem
from switchboard.servicekit.json_types import JSON_NUMBER
from switchboard.servicekit.service.dependencies import SessionDep

router = APIRouter(prefix="/surveys", tags=["surveys"])

REFUSAL_STATUS: dict[type[SurveyRefused], int] = {
    UnknownSurvey: 404,
    SurveyExpired: 410,
    SurveyAlreadyAnswered: 409,
}


def survey_id_of(token: str, service: FeedbackService) -> str:
    secrets, now = service.settings.link_secret_bytes, service.deps.clock()
    try:
        link = verify_survey_link(token=token, secrets=secrets, now=now)
    except InvalidToken as error:
        raise Problem(404, "this survey link is not valid") from error
    except ExpiredToken as error:
        raise Problem(410, "this survey has expired") from error
    return link.survey_id


def refusal(error: SurveyRefused) -> Problem:
    return Problem(REFUSAL_STATUS[type(error)], str(error))


async def open_survey(session: AsyncSession, token: str, service: FeedbackService) -> SurveyRow:
    survey = await session.get(SurveyRow, survey_id_of(token, service))
    now = service.deps.clock()
    try:
        if survey is None:
            raise UnknownSurvey()
        ensure_open(expires_at=survey.expires_at, answered_at=survey.answered_at, now=now)
    except SurveyRefused as error:
        raise refusal(error) from error
    return survey


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


@router.get("/{token}", response_model=None)
async def show_survey(
    token: str, request: Request, session: SessionDep, service: FeedbackServiceDep
) -> dict[str, Any] | HTMLResponse:
    """The survey's questions in the customer's language, as JSON or as a small form."""
    survey = await open_survey(session, token, service)
    template = template_of(survey)
    if wants_html(request):
        return HTMLResponse(survey_form_html(template, action=str(request.url.path)))
    return {
        "survey_id": survey.survey_id,
        "language": template.language,
        "title": template.title,
        "expires_at": survey.expires_at.isoformat(),
        "questions": [
            {
                "id": q.question.value,
                "text": q.text,
                "min": q.minimum,
                "max": q.maximum,
                "min_label": q.minimum_label,
                "max_label": q.maximum_label,
            }
            for q in template.questions
        ],
        "comment": {"id": "comment", "text": template.comment_prompt},
        "reasons": {
            "id": "reasons",
            "text": template.reasons_prompt,
            "asked_when": "a score is low: csat <= 3, nps <= 6 or ces <= 3",
            "choices": [{"code": c.code, "label": c.label} for c in template.reasons],
        },
        "submit": template.submit_label,
    }


def _scale(question: Question) -> Any:
    low, high = SCALES[question]
    return Field(ge=low, le=high)


SCORES = tuple(question.value for question in SCALES)


class AnswerBody(BaseModel):
    """The answer as JSON; the survey page posts the same fields as a form (scores as
    digits, ``reasons`` repeated). Which questions and reasons a survey asks is its own:
    an answer to one it did not ask is the documented 422."""

    model_config = ConfigDict(extra="forbid")

    csat: Annotated[int, _scale(Question.CSAT), JSON_NUMBER] | None = None
    nps: Annotated[int, _scale(Question.NPS), JSON_NUMBER] | None = None
    ces: Annotated[int, _scale(Question.CES), JSON_NUMBER] | None = None
    comment: Annotated[str | None, Field(max_length=4000, pattern=r"^[^\x00]*$")] = None
    reasons: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=20)] = []


def _form_fields(form: dict[str, list[str]]) -> dict[str, Any]:
    """A form post's fields as the JSON answer spells them: the scores as numbers."""
    raw: dict[str, Any] = {
        key: values[0] for key, values in form.items() if key != "reasons" and values[0]
    }
    for score in SCORES:
        if isinstance(value := raw.get(score), str) and value.isascii() and value.isdigit():
            raw[score] = int(value)
    raw["reasons"] = form.get("reasons", [])
    return raw


_ANSWER_SCHEMA = AnswerBody.model_json_schema()
ANSWER_REQUEST: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _ANSWER_SCHEMA},
            "application/x-www-form-urlencoded": {"schema": _ANSWER_SCHEMA},
        },
    }
}


async def answer_from(request: Request) -> AnswerBody:
    """The answer as JSON, or as the survey page's (URL-encoded) form post."""
    content_type = request.headers.get("content-type", "")
    body = await request.body()
    raw: Any
    if content_type.startswith("application/x-www-form-urlencoded"):
        try:
            form = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=40)
        except ValueError as error:
            raise Problem(400, "the form has too many fields") from error
        raw = _form_fields(form)
    else:
        try:
            raw = json.loads(body)
        except ValueError as error:
            raise Problem(400, "the body must be JSON or a form post") from error
    try:
        return AnswerBody.model_validate(raw)
    except ValidationError as error:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in error.errors()
        )
        raise Problem(422, f"invalid answer: {detail}", title="Invalid answer") from error


@router.post("/{token}", status_code=201, response_model=None, openapi_extra=ANSWER_REQUEST)
async def submit_answer(
    token: str, request: Request, uow: FeedbackUnitOfWorkDep, service: FeedbackServiceDep
) -> dict[str, Any] | HTMLResponse:
    """Accept the survey's one answer; a second one is refused with 409."""
    survey_id = survey_id_of(token, service)
    body = await answer_from(request)
    answer = Answer(body.csat, body.nps, body.ces, body.comment, tuple(body.reasons))
    try:
        survey = await answer_survey(uow, survey_id=survey_id, answer=answer)
    except SurveyRefused as error:
        raise refusal(error) from error
    except InvalidAnswer as error:
        raise Problem(422, str(error), title="Invalid answer") from error
    template = template_of(survey)
    if wants_html(request):
        return HTMLResponse(thanks_html(template), status_code=201)
    return {"survey_id": survey.survey_id, "status": "answered", "message": template.thanks}
