"""Routing's own tables. Agents, cases and the policy document carry ``revision``: replicas
sync what changed after the revision they last saw (see ``revisions.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from switchboard.servicekit.db.orm import TYPE_ANNOTATIONS, service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata()
    type_annotation_map = {**TYPE_ANNOTATIONS, list[str]: JSON}


class AgentRow(Base):
    __tablename__ = "routing_agents"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    region: Mapped[str] = mapped_column(String(32))
    team: Mapped[str | None] = mapped_column(String(64))
    pools: Mapped[list[str]]
    skills: Mapped[dict[str, Any]]
    languages: Mapped[list[str]]
    capacity: Mapped[dict[str, Any]]
    load: Mapped[dict[str, Any]]
    presence: Mapped[str] = mapped_column(String(16))
    idle_since: Mapped[datetime]
    revision: Mapped[int] = mapped_column(Integer, index=True)


class CaseRow(Base):
    __tablename__ = "routing_cases"

    case_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(128))
    region: Mapped[str] = mapped_column(String(32))
    department: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(35))
    priority: Mapped[int] = mapped_column(Integer)
    pool: Mapped[str] = mapped_column(String(100))
    policy: Mapped[str] = mapped_column(String(128))
    step: Mapped[int] = mapped_column(Integer, default=0)
    step_started_at: Mapped[datetime]
    opened_at: Mapped[datetime] = mapped_column(index=True)
    enqueued_at: Mapped[datetime]
    preferred_agent: Mapped[str | None] = mapped_column(String(128))
    preferred_until: Mapped[datetime | None]
    excluded_agents: Mapped[list[str]]
    state: Mapped[str] = mapped_column(String(16), index=True)
    agent_id: Mapped[str | None] = mapped_column(String(128), index=True)
    offer_id: Mapped[str | None] = mapped_column(String(64))
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    assigned_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None] = mapped_column(index=True)
    transfers: Mapped[int] = mapped_column(Integer, default=0)
    reopens: Mapped[int] = mapped_column(Integer, default=0)
    revision: Mapped[int] = mapped_column(Integer, index=True)


class OfferRow(Base):
    __tablename__ = "routing_offers"

    offer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(128), index=True)
    agent_id: Mapped[str] = mapped_column(String(128), index=True)
    offered_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16))
    answered_at: Mapped[datetime | None] = mapped_column(index=True)
    replica: Mapped[str] = mapped_column(String(64))
    explanation: Mapped[dict[str, Any]]


class RevisionCounterRow(Base):
    __tablename__ = "routing_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class PolicyDocumentRow(Base):
    __tablename__ = "routing_policy_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[dict[str, Any]]
    revision: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]


class LastAgentRow(Base):
    __tablename__ = "routing_last_agents"

    customer_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(128))
    resolved_at: Mapped[datetime]


class ReplicaRow(Base):
    """A routing replica alive at ``heartbeat_at``; the live ones share out the pools."""

    __tablename__ = "routing_replicas"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]


class StaffingAnnouncementRow(Base):
    """What was last announced of a pool's staffing (short or staffed), in which interval."""

    __tablename__ = "routing_staffing_announcements"

    pool: Mapped[str] = mapped_column(String(100), primary_key=True)
    standing: Mapped[str] = mapped_column(String(16))
    interval_number: Mapped[int] = mapped_column(BigInteger)
    announced_at: Mapped[datetime]


class WaitForecastRow(Base):
    """The offer time last said of a waiting case (None: none in sight); gone once the
    case waits no more."""

    __tablename__ = "routing_wait_forecasts"

    case_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    expected_offer_at: Mapped[datetime | None]
    said_at: Mapped[datetime]
