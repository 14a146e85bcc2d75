"""Events on the surveys topic, written by feedback and keyed by case id."""

from __future__ import annotations

from typing import Annotated, ClassVar, Self

from pydantic import AwareDatetime, Field, model_validator

from switchboard.contracts.base import Event
from switchboard.contracts.events.common import (
    Channel,
    ExternalId,
    HttpsUrl,
    Id,
    LanguageTag,
    Note,
    Region,
    Sealed,
    Slug,
)
from switchboard.contracts.events.scores import Ces, Csat, Nps, Question, Reasons
from switchboard.contracts.topics import SURVEYS, Topic


class SurveyEvent(Event):
    topic: ClassVar[Topic] = SURVEYS
    key_field: ClassVar[str] = "case_id"

    survey_id: Id
    case_id: Id
    customer_id: Id
    channel: Channel
    language: LanguageTag
    region: Region


class SurveyRequested(SurveyEvent):
    """A survey is ready: the channel adapter delivers ``link`` to the customer."""

    event_type: ClassVar[str] = "switchboard.survey.requested"

    link: HttpsUrl
    """Signed, single-use link to the survey page."""
    questions: Annotated[tuple[Question, ...], Field(min_length=1, max_length=3)]
    thread_ref: ExternalId | None = None
    """Where to deliver: the case's channel conversation (mail thread, chat session)."""
    requested_at: AwareDatetime
    expires_at: AwareDatetime


class SurveyAnswered(SurveyEvent):
    """The customer answered; each score is absent when the question was skipped."""

    event_type: ClassVar[str] = "switchboard.survey.answered"

    agent_id: Id | None = None
    team: Slug | None = None
    csat: Csat | None = None
    nps: Nps | None = None
    ces: Ces | None = None
    comment: Note | None = None
    sealed: Sealed | None = None
    """``comment``, sealed under the customer's key (then left empty here)."""
    reasons: Reasons = ()
    answered_at: AwareDatetime

    @model_validator(mode="after")
    def _has_an_answer(self) -> Self:
        no_comment = not self.comment and self.sealed is None
        if self.csat is None and self.nps is None and self.ces is None and no_comment:
            raise ValueError("an answer needs a score or a comment")
        return self


EVENTS: tuple[type[Event], ...] = (SurveyRequested, SurveyAnswered)
