"""Problems on the problems topic, written by escalation and keyed by problem id.

A problem is what many customers write about at once in two or more regions, whatever
their language: escalation groups contacts' texts by what they are about (stems mapped to
an English pivot through bilingual dictionaries), notices terms that rise above their usual
rate in several regions in the same window, and tells the coordinators of every region it
touches. They acknowledge it and share notes on how to answer customers about it. The
CloudEvents subject is the problem id.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import AwareDatetime, Field, StringConstraints

from switchboard.contracts.base import Event
from switchboard.contracts.events.common import (
    Actor,
    Excerpt,
    Id,
    LanguageTag,
    Note,
    Region,
    Sealed,
    Value,
)
from switchboard.contracts.topics import PROBLEMS, Topic

Term = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class ProblemEvent(Event):
    topic: ClassVar[Topic] = PROBLEMS
    key_field: ClassVar[str] = "problem_id"
    subject_field: ClassVar[str | None] = "problem_id"

    problem_id: Id


class RegionCount(Value):
    """How many of a region's contacts in the window were about the problem."""

    region: Region
    contacts: Annotated[int, Field(ge=0)]


class ExampleMessage(Value):
    """One contact's text about the problem, in its language. The text is personal data:
    it is sealed under its customer's key (``sealed``, ``text`` left empty) where the
    writer has intake's keys, so it is unreadable once the customer is erased."""

    language: LanguageTag
    region: Region
    text: Excerpt = ""
    sealed: Sealed | None = None


class ProblemDetected(ProblemEvent):
    """A topic rose in two or more regions at once: their coordinators are told."""

    event_type: ClassVar[str] = "switchboard.problem.detected"

    terms: Annotated[tuple[Term, ...], Field(min_length=1, max_length=20)]
    """What rose, as English pivot terms (or the word itself where no dictionary had it)."""
    regions: Annotated[tuple[Region, ...], Field(min_length=2, max_length=50)]
    counts: Annotated[tuple[RegionCount, ...], Field(max_length=50)]
    examples: Annotated[tuple[ExampleMessage, ...], Field(max_length=50)]
    """At most one example per language and region."""
    first_seen: AwareDatetime
    """The earliest contact about it in the window that detected it."""
    detected_at: AwareDatetime
    targets: Annotated[tuple[Actor, ...], Field(max_length=100)]
    """The coordinators of the regions it touches, who are notified."""


class ProblemAcknowledged(ProblemEvent):
    """A coordinator of one of the touched regions took the problem for their region."""

    event_type: ClassVar[str] = "switchboard.problem.acknowledged"

    region: Region
    by: Actor
    acknowledged_at: AwareDatetime


class ProblemNoteAdded(ProblemEvent):
    """A coordinator shared a note (how to answer customers about it) with the other
    touched regions' coordinators."""

    event_type: ClassVar[str] = "switchboard.problem.note-added"

    note_id: Id
    region: Region
    """The region of the coordinator who wrote it."""
    by: Actor
    note: Annotated[Note, StringConstraints(min_length=1)]
    added_at: AwareDatetime
    targets: Annotated[tuple[Actor, ...], Field(max_length=100)]


EVENTS: tuple[type[Event], ...] = (ProblemDetected, ProblemAcknowledged, ProblemNoteAdded)
