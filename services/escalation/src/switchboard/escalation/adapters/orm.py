"""The escalation service's own tables (servicekit's outbox, inbox and timers live beside)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from switchboard.servicekit.db.orm import TYPE_ANNOTATIONS, service_metadata

_BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = service_metadata()
    type_annotation_map = TYPE_ANNOTATIONS


class CaseRow(Base):
    """What escalation knows of a case, from the cases and assignments topics."""

    __tablename__ = "esc_cases"

    case_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(128))
    region: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer)
    customer_tier: Mapped[str | None] = mapped_column(String(64))
    vip: Mapped[bool] = mapped_column(default=False)
    sla_policy: Mapped[str | None] = mapped_column(String(64))
    agent_id: Mapped[str | None] = mapped_column(String(128))
    team: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24))
    first_responded_at: Mapped[datetime | None]
    offered_at: Mapped[datetime | None]
    """When routing last offered it to an agent; None while it waits (again)."""
    queue_position: Mapped[int | None] = mapped_column(Integer)
    served_per_minute: Mapped[float | None] = mapped_column(Float)
    expected_offer_at: Mapped[datetime | None]
    wait_estimated_at: Mapped[datetime | None]
    """Routing's last wait forecast of the case (CaseWaitEstimated), when it made it."""


class ClockRow(Base):
    __tablename__ = "esc_sla_clocks"

    clock_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(128), index=True)
    metric: Mapped[str] = mapped_column(String(24))
    policy: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(32))
    target_seconds: Mapped[float] = mapped_column(Float)
    thresholds: Mapped[list[float]] = mapped_column(JSON)
    escalate_at: Mapped[list[float]] = mapped_column(JSON)
    fired: Mapped[list[float]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    accumulated_seconds: Mapped[float] = mapped_column(Float)
    running_since: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    started_at: Mapped[datetime]
    at_risk_at: Mapped[datetime | None]
    """When the clock was predicted to breach (SlaBreachPredicted), at most once."""
    risk_cleared_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_esc_sla_clocks_open", "case_id", "metric", "completed_at"),)


class EscalationRow(Base):
    __tablename__ = "esc_escalations"

    escalation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(128), index=True)
    region: Mapped[str] = mapped_column(String(32))
    trigger: Mapped[str] = mapped_column(String(32))
    policy: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    level_index: Mapped[int] = mapped_column(Integer)
    cycle: Mapped[int] = mapped_column(Integer)
    priority: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    raised_by: Mapped[str] = mapped_column(String(160))
    raised_at: Mapped[datetime]
    acknowledge_by: Mapped[datetime | None]
    assignee: Mapped[str | None] = mapped_column(String(128))
    acknowledged_by: Mapped[str | None] = mapped_column(String(128))
    resolved_by: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (Index("ix_esc_escalations_region_status", "region", "status"),)


class ConfigRow(Base):
    """The active configuration document (policies, calendars, coordinators), versioned."""

    __tablename__ = "esc_config"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(160))
