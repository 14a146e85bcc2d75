"""Feedback's own tables: cases as far as surveys need them, surveys, answers, roll-ups."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, Index, Integer, SmallInteger, String, Text, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from switchboard.feedback.domain.kpis import COUNTER_NAMES
from switchboard.servicekit.db.orm import TYPE_ANNOTATIONS, service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata()
    type_annotation_map = TYPE_ANNOTATIONS


class CaseRow(Base):
    """What feedback knows of a case, assembled from the cases and assignments topics."""

    __tablename__ = "fb_cases"

    case_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(128))
    region: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(35))
    thread_ref: Mapped[str | None] = mapped_column(Text)
    vip: Mapped[bool] = mapped_column(default=False, server_default=false())
    agent_id: Mapped[str | None] = mapped_column(String(128))
    team: Mapped[str | None] = mapped_column(String(64))
    opened_at: Mapped[datetime | None]
    first_replied_at: Mapped[datetime | None]
    first_response_counted: Mapped[bool] = mapped_column(default=False, server_default=false())
    resolved_at: Mapped[datetime | None]
    reopened_at: Mapped[datetime | None]


class CustomerRow(Base):
    """The last survey sent to a customer; its row lock serialises suppression decisions."""

    __tablename__ = "fb_customers"

    customer_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    last_surveyed_at: Mapped[datetime | None]


class SurveyRow(Base):
    __tablename__ = "fb_surveys"

    survey_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(128), unique=True)
    customer_id: Mapped[str] = mapped_column(String(128), index=True)
    region: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(35))
    questions: Mapped[list[str]] = mapped_column(JSON)
    thread_ref: Mapped[str | None] = mapped_column(Text)
    vip: Mapped[bool] = mapped_column(default=False, server_default=false())
    agent_id: Mapped[str | None] = mapped_column(String(128))
    team: Mapped[str | None] = mapped_column(String(64))
    requested_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    undelivered_at: Mapped[datetime | None]
    """When intake said the invitation never reached the customer, and why."""
    undelivered_reason: Mapped[str | None] = mapped_column(Text)


class AnswerRow(Base):
    """One answer per survey, kept whole for audit and export; KPIs read the roll-ups."""

    __tablename__ = "fb_answers"
    __table_args__ = (Index("ix_fb_answers_region_answered_at", "region", "answered_at"),)

    survey_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(128))
    region: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[str | None] = mapped_column(String(128))
    team: Mapped[str | None] = mapped_column(String(64))
    csat: Mapped[int | None]
    nps: Mapped[int | None]
    ces: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(Text)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    answered_at: Mapped[datetime]


class FollowUpRow(Base):
    """A detractor alert raised; escalation turns it into a follow-up with an owner."""

    __tablename__ = "fb_followups"

    alert_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    survey_id: Mapped[str] = mapped_column(String(64), unique=True)
    case_id: Mapped[str] = mapped_column(String(128))
    region: Mapped[str] = mapped_column(String(32))
    question: Mapped[str] = mapped_column(String(8))
    at_most: Mapped[int]
    raised_at: Mapped[datetime]


def _counter() -> Mapped[int]:
    return mapped_column(BigInteger, default=0, server_default="0")


class RollupCounters:
    """The counters of a bucket, mirroring ``kpis.Counters`` one for one."""

    surveys_requested: Mapped[int] = _counter()
    surveys_answered: Mapped[int] = _counter()
    surveys_undelivered: Mapped[int] = _counter()
    csat_answers: Mapped[int] = _counter()
    csat_satisfied: Mapped[int] = _counter()
    nps_answers: Mapped[int] = _counter()
    nps_promoters: Mapped[int] = _counter()
    nps_detractors: Mapped[int] = _counter()
    ces_answers: Mapped[int] = _counter()
    ces_sum: Mapped[int] = _counter()
    first_responses: Mapped[int] = _counter()
    first_response_ms_sum: Mapped[int] = _counter()
    resolutions: Mapped[int] = _counter()
    resolution_ms_sum: Mapped[int] = _counter()
    first_contact_resolutions: Mapped[int] = _counter()
    sla_achieved: Mapped[int] = _counter()
    sla_breached: Mapped[int] = _counter()
    cases_opened: Mapped[int] = _counter()
    cases_reopened: Mapped[int] = _counter()


class RollupRow(RollupCounters, Base):
    """Additive KPI counters of one bucket: period x region x facet x bucket start (x hour).

    The key's order serves the read: equality on the first four columns, a range on the
    bucket start. ``hour`` splits an hour bucket's day (0 for the other periods). The
    counters mirror ``kpis.Counters`` one for one.
    """

    __tablename__ = "fb_kpi_rollups"

    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    facet: Mapped[str] = mapped_column(String(8), primary_key=True)
    facet_value: Mapped[str] = mapped_column(String(128), primary_key=True)
    bucket: Mapped[date] = mapped_column(Date, primary_key=True)
    hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True, server_default="0")


class RollupDeltaRow(RollupCounters, Base):
    """Counters added to one bucket and not folded into ``fb_kpi_rollups`` yet.

    Writers only insert here (no row is shared, so concurrent answers never wait for each
    other's commit on the busy buckets of the hour, day, week and month); the roll-up
    folder moves them into the roll-ups in batches; reads add what is still here."""

    __tablename__ = "fb_kpi_rollup_deltas"
    __table_args__ = (
        Index(
            "ix_fb_kpi_rollup_deltas_slice", "period", "region", "facet", "facet_value", "bucket"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    period: Mapped[str] = mapped_column(String(8))
    region: Mapped[str] = mapped_column(String(32))
    facet: Mapped[str] = mapped_column(String(8))
    facet_value: Mapped[str] = mapped_column(String(128))
    bucket: Mapped[date] = mapped_column(Date)
    hour: Mapped[int] = mapped_column(SmallInteger, server_default="0")


ROLLUP_COUNTER_COLUMNS = tuple(RollupRow.__table__.c[name] for name in COUNTER_NAMES)
