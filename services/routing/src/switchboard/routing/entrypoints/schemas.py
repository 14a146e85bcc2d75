"""Request and response bodies of the routing API."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.config import JsonDict

from switchboard.contracts.events.common import Channel, LanguageTag, Region, Slug
from switchboard.routing.adapters.orm import AgentRow, CaseRow
from switchboard.routing.domain.model import Presence
from switchboard.routing.domain.policy import MAX_NAME_LENGTH
from switchboard.routing.service_layer.staffing_forecasts import PoolOutlook
from switchboard.servicekit import durations
from switchboard.servicekit.json_types import JSON_NUMBER

IDENTIFIER = r"^[^\s\x00-\x1f\x7f]+$"
"""An agent, case or message id: no spaces and no control characters (PostgreSQL cannot even
store NUL)."""
SkillName = Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]*$", max_length=64)]
AgentId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=IDENTIFIER)]
QueueName = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=IDENTIFIER)]
"""A pool, as agents' profiles name them."""
Proficiency = Annotated[int, Field(ge=1, le=10), JSON_NUMBER]
Slots = Annotated[int, Field(ge=0, le=50), JSON_NUMBER]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgentProfile(Body):
    region: Region
    team: Slug | None = None
    pools: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=20
    )
    skills: dict[SkillName, Proficiency] = Field(
        default_factory=dict, max_length=100, json_schema_extra={"additionalProperties": False}
    )
    languages: list[LanguageTag] = Field(default_factory=list, max_length=20)
    capacity: dict[Channel, Slots] = Field(
        default_factory=lambda: {
            Channel.PHONE: 1,
            Channel.CHAT: 3,
            Channel.EMAIL: 5,
            Channel.SOCIAL: 3,
        }
    )


class AgentView(BaseModel):
    id: str
    region: str
    team: str | None
    pools: list[str]
    skills: dict[str, int]
    languages: list[str]
    capacity: dict[str, int]
    load: dict[str, int]
    presence: str
    idle_since: datetime


def agent_view(agent: AgentRow) -> AgentView:
    return AgentView(
        id=agent.id,
        region=agent.region,
        team=agent.team,
        pools=agent.pools,
        skills=agent.skills,
        languages=agent.languages,
        capacity=agent.capacity,
        load=agent.load,
        presence=agent.presence,
        idle_since=agent.idle_since,
    )


class QueueView(BaseModel):
    """The open cases of one pool of one region, by routing state."""

    region: str
    pool: str
    waiting: int
    offered: int
    assigned: int
    oldest_waiting_since: datetime | None


class StaffingForecastView(BaseModel):
    """One of a pool's next intervals: its arrivals expected from the same interval of day
    on recent days, and the agents they need against those available now."""

    interval_start: datetime
    expected_arrivals: float
    days_averaged: int
    """The past days the mean is over: those routing has data for."""
    load_erlangs: float
    agents_required: int
    agents_available: int
    expected_service_level: float
    short: bool


class StaffingView(BaseModel):
    """A pool's staffing now: the last interval's traffic, the agents its service-level
    target needs (Erlang C) and those available; and in ``next``, the same for the next
    intervals (empty when routing has no past day to forecast from)."""

    pool: str
    region: str
    arrivals: int
    interval_seconds: float
    average_handle_seconds: float
    load_erlangs: float
    target_share: float
    target_answer_seconds: float
    agents_required: int
    agents_available: int
    expected_service_level: float
    short: bool
    next: list[StaffingForecastView]


def staffing_view(outlook: PoolOutlook) -> StaffingView:
    staffing = outlook.now
    traffic, target = staffing.traffic, staffing.target
    return StaffingView(
        pool=traffic.pool,
        region=traffic.pool.partition("/")[0],
        arrivals=traffic.arrivals,
        interval_seconds=traffic.window.total_seconds(),
        average_handle_seconds=traffic.handle_seconds,
        load_erlangs=staffing.load,
        target_share=target.share,
        target_answer_seconds=target.answer_seconds,
        agents_required=staffing.agents_required,
        agents_available=traffic.agents_available,
        expected_service_level=staffing.expected_service_level,
        short=staffing.short,
        next=[
            StaffingForecastView(
                interval_start=each.interval_start,
                expected_arrivals=each.expected_arrivals,
                days_averaged=each.days_averaged,
                load_erlangs=each.load,
                agents_required=each.agents_required,
                agents_available=each.agents_available,
                expected_service_level=each.expected_service_level,
                short=each.short,
            )
            for each in outlook.next
        ],
    )


class PresenceChange(Body):
    presence: Presence


class Decline(Body):
    reason: Annotated[str, StringConstraints(max_length=200)] | None = None


class Reply(Body):
    message_id: Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=IDENTIFIER)]


def _named(*fields: str) -> dict[str, Any]:
    return {"required": list(fields), "properties": {f: {"type": "string"} for f in fields}}


class Transfer(Body):
    """To one named agent, or one queue (a pool), or a region and/or a department."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                _named("agent"),
                _named("queue"),
                {"anyOf": [_named("region"), _named("department")]},
            ]
        }
    )

    agent: AgentId | None = None
    queue: QueueName | None = None
    region: Region | None = None
    department: Slug | None = None
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None

    @model_validator(mode="after")
    def _one_destination(self) -> Self:
        kinds = [self.agent, self.queue, self.region or self.department]
        if sum(kind is not None for kind in kinds) != 1:
            raise ValueError("a transfer goes to an agent, a queue, or a region and/or department")
        return self


class Resolve(Body):
    resolution_code: Slug = "resolved"
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class CaseView(BaseModel):
    case_id: str
    state: str
    pool: str
    channel: str
    priority: int
    policy: str
    step: int
    agent_id: str | None
    enqueued_at: datetime
    queue_position: int | None = None
    estimated_wait_seconds: float | None = None
    explanation: dict[str, Any] | None = None
    customer_id: str | None = None
    region: str | None = None
    department: str | None = None
    language: str | None = None
    offer_expires_at: datetime | None = None
    """While the case is offered: when the offer lapses (in an agent's work list)."""


def case_view(
    row: CaseRow,
    *,
    position: int | None = None,
    wait: float | None = None,
    offer_expires_at: datetime | None = None,
) -> CaseView:
    return CaseView(
        case_id=row.case_id,
        state=row.state,
        pool=row.pool,
        channel=row.channel,
        priority=row.priority,
        policy=row.policy,
        step=row.step,
        agent_id=row.agent_id,
        enqueued_at=row.enqueued_at,
        queue_position=position,
        estimated_wait_seconds=wait,
        explanation=row.explanation,
        customer_id=row.customer_id,
        region=row.region,
        department=row.department,
        language=row.language,
        offer_expires_at=offer_expires_at,
    )


_EXPRESSION: JsonDict = {
    "type": "string",
    "description": "A requirement expression (see the README)",
}
_DURATION: JsonDict = durations.JSON_SCHEMA
_SECONDS: JsonDict = {"type": "number", "exclusiveMinimum": 0, "description": "The older spelling"}
POLICY_SCHEMA: JsonDict = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_LENGTH},
        "when": _EXPRESSION,
        "steps": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["requires"],
                "properties": {
                    "requires": _EXPRESSION,
                    "timeout": _DURATION,
                    "timeout_seconds": _SECONDS,
                },
            },
        },
        "fallback": _EXPRESSION,
        "offer_timeout": _DURATION,
        "offer_timeout_seconds": _SECONDS,
    },
}
"""What the policy parser reads; the expressions' grammar it checks itself (a 422 that
names the column)."""


class PolicyDocument(BaseModel):
    policies: list[dict[str, Any]] = Field(
        max_length=200, json_schema_extra={"items": POLICY_SCHEMA}
    )

    @field_validator("policies")
    @classmethod
    def _unicode_text(cls, policies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The policy parser checks the structure; the text must also be storable: a lone
        surrogate escape (``"\\ud800"``) is valid JSON, but not Unicode text."""
        try:
            json.dumps(policies, ensure_ascii=False).encode()
        except UnicodeEncodeError as error:
            raise ValueError("text must be valid Unicode, without lone surrogates") from error
        return policies
