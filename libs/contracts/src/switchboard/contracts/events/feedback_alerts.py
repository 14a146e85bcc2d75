"""Events on the feedback-alerts topic, written by feedback and keyed by case id."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime

from switchboard.contracts.base import Event
from switchboard.contracts.events.common import (
    Channel,
    Id,
    LanguageTag,
    Note,
    Region,
    Sealed,
    Slug,
    Value,
)
from switchboard.contracts.events.scores import Ces, Csat, Nps, Question, Reasons
from switchboard.contracts.topics import FEEDBACK_ALERTS, Topic


class Scores(Value):
    csat: Csat | None = None
    nps: Nps | None = None
    ces: Ces | None = None


class Threshold(Value):
    """The rule that made the answer a detractor, e.g. NPS at most 6."""

    question: Question
    at_most: int


class DetractorAlerted(Event):
    """A survey answer fell at or below a detractor threshold; someone should follow up."""

    event_type: ClassVar[str] = "switchboard.detractor.alerted"
    topic: ClassVar[Topic] = FEEDBACK_ALERTS
    key_field: ClassVar[str] = "case_id"

    alert_id: Id
    survey_id: Id
    case_id: Id
    customer_id: Id
    region: Region
    channel: Channel
    language: LanguageTag
    agent_id: Id | None = None
    team: Slug | None = None
    scores: Scores
    threshold: Threshold
    comment: Note | None = None
    sealed: Sealed | None = None
    """``comment``, sealed under the customer's key (then left empty here)."""
    reasons: Reasons = ()
    vip: bool = False
    raised_at: AwareDatetime


EVENTS: tuple[type[Event], ...] = (DetractorAlerted,)
