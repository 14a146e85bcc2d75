"""Policies, calendars and coordinators as data: validated documents (YAML at start, JSON on
the admin API) turned into domain objects."""

from __future__ import annotations

import base64
import zoneinfo
from datetime import date, timedelta
from typing import Annotated, Any, Literal, get_args

import holidays
import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from switchboard.escalation.domain.calendar import (
    SPAN_PATTERN,
    WEEKDAY_NAMES,
    BusinessCalendar,
    WeeklyHours,
)
from switchboard.escalation.domain.escalation import (
    EscalationLevel,
    EscalationPolicy,
    TriggerKind,
)
from switchboard.escalation.domain.policy_book import PolicyBook, VipRule
from switchboard.escalation.domain.regions import Coordinator, CoordinatorDirectory
from switchboard.escalation.domain.sla import (
    BREACH_FRACTION,
    DEFAULT_WARNING_FRACTIONS,
    CaseAttribute,
    Condition,
    Metric,
    SlaPolicy,
)
from switchboard.servicekit.durations import Duration
from switchboard.servicekit.json_types import JSON_NUMBER, JsonNumber

Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][\w .:-]*$")]


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _norway_is_not_false(value: Any) -> Any:
    """YAML 1.1 reads an unquoted `NO` (Norway) as false."""
    return "NO" if value is False else value


TIME_ZONES = sorted(zoneinfo.available_timezones())
HOLIDAY_COUNTRIES = sorted(holidays.list_supported_countries())
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
assert get_args(Weekday) == WEEKDAY_NAMES
OpeningSpanText = Annotated[str, Field(pattern=SPAN_PATTERN)]


class CalendarDocument(Document):
    """A region's calendar. What the schema cannot say is checked too (a 422): a span opens
    before it closes, a subdivision is one of its country's, some time of the week is open."""

    timezone: Annotated[str, WithJsonSchema({"type": "string", "enum": TIME_ZONES})] = "UTC"
    """An IANA time zone."""
    country: Annotated[
        str | None,
        BeforeValidator(_norway_is_not_false),
        WithJsonSchema(
            {"anyOf": [{"type": "string", "enum": HOLIDAY_COUNTRIES}, {"type": "null"}]}
        ),
    ] = None
    """Whose public holidays close the region (ISO 3166 alpha-2 or alpha-3)."""
    subdivision: str | None = None
    hours: dict[Weekday, list[OpeningSpanText]] = Field(
        default_factory=lambda: {
            day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        }
    )
    closed_dates: list[date] = Field(default_factory=list, max_length=5000)

    def to_domain(self) -> BusinessCalendar:
        return BusinessCalendar(
            timezone=self.timezone,
            weekly_hours=WeeklyHours.parse({str(day): spans for day, spans in self.hours.items()}),
            country=self.country,
            subdivision=self.subdivision,
            closed_dates=frozenset(self.closed_dates),
        )


class SlaPolicyDocument(Document):
    name: Name
    when: dict[CaseAttribute, list[str]] = Field(default_factory=dict)
    targets: dict[Metric, Duration]
    warnings: list[Annotated[float, Field(gt=0, lt=1), JSON_NUMBER]] = list(
        DEFAULT_WARNING_FRACTIONS
    )
    escalate_at: list[JsonNumber] = [BREACH_FRACTION]
    escalation_policy: Name | None = None

    def to_domain(self) -> SlaPolicy:
        return SlaPolicy(
            name=self.name,
            conditions=tuple(
                Condition(attribute, frozenset(values)) for attribute, values in self.when.items()
            ),
            targets=dict(self.targets),
            warning_fractions=tuple(sorted(set(self.warnings))),
            escalate_at_fractions=frozenset(self.escalate_at),
            escalation_policy=self.escalation_policy,
        )


class LevelDocument(Document):
    name: Name
    targets: list[str] = Field(min_length=1, max_length=50)
    acknowledge_within: Duration


RENAMED_TRIGGERS = {"delivery_failed": TriggerKind.REPLY_DELIVERY_FAILED.value}
"""Triggers' earlier names, still read (a configuration written before es0004)."""


def _current_trigger_name(value: object) -> object:
    return RENAMED_TRIGGERS.get(value, value) if isinstance(value, str) else value


class EscalationPolicyDocument(Document):
    name: Name
    levels: list[LevelDocument] = Field(min_length=1, max_length=20)
    repeat: Annotated[int, Field(ge=0, le=100), JSON_NUMBER] = 0
    triggers: list[Annotated[TriggerKind, BeforeValidator(_current_trigger_name)]] = Field(
        default_factory=lambda: list(TriggerKind)
    )

    def to_domain(self) -> EscalationPolicy:
        return EscalationPolicy(
            name=self.name,
            levels=tuple(
                EscalationLevel(level.name, tuple(level.targets), level.acknowledge_within)
                for level in self.levels
            ),
            repeat=self.repeat,
            triggers=frozenset(self.triggers),
        )


class WebhookDocument(Document):
    url: Annotated[str, Field(pattern=r"^https?://\S+$", max_length=2048)]
    secret: Annotated[str, Field(min_length=16, max_length=200)]
    """A Standard Webhooks secret: `whsec_` and base64 of at least 24 random bytes."""

    @field_validator("secret")
    @classmethod
    def _secret_is_standard(cls, secret: str) -> str:
        try:
            key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except ValueError as error:
            raise ValueError("webhook secret must be whsec_ followed by base64") from error
        if len(key) < 24:
            raise ValueError("webhook secret must hold at least 24 random bytes")
        return secret


class CoordinatorDocument(Document):
    id: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^\S+$")]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    regions: list[str] = Field(min_length=1)
    roles: list[str] = Field(default_factory=list)
    webhook: WebhookDocument | None = None

    def to_domain(self) -> Coordinator:
        return Coordinator(self.id, self.name, frozenset(self.regions), frozenset(self.roles))


class VipDocument(Document):
    tiers: list[str] = ["vip"]
    wait: Duration = timedelta(minutes=15)


class EscalationConfig(Document):
    calendars: dict[str, CalendarDocument] = Field(default_factory=dict)
    sla_policies: list[SlaPolicyDocument] = Field(default_factory=list)
    escalation_policies: list[EscalationPolicyDocument] = Field(default_factory=list)
    coordinators: list[CoordinatorDocument] = Field(default_factory=list)
    vip: VipDocument = VipDocument()

    @model_validator(mode="after")
    def _references_resolve(self) -> EscalationConfig:
        escalation_names = {policy.name for policy in self.escalation_policies}
        for policy in self.sla_policies:
            if policy.escalation_policy and policy.escalation_policy not in escalation_names:
                raise ValueError(
                    f"SLA policy {policy.name!r} names unknown escalation policy "
                    f"{policy.escalation_policy!r}"
                )
        for kind, names in (
            ("SLA policy", [p.name for p in self.sla_policies]),
            ("escalation policy", [p.name for p in self.escalation_policies]),
            ("coordinator", [c.id for c in self.coordinators]),
        ):
            if len(names) != len(set(names)):
                raise ValueError(f"duplicate {kind} names")
        for calendar in self.calendars.values():
            calendar.to_domain()
        for sla_policy in self.sla_policies:
            sla_policy.to_domain()
        for escalation_policy in self.escalation_policies:
            escalation_policy.to_domain()
        return self

    def to_policy_book(self) -> PolicyBook:
        return PolicyBook(
            calendars={region: doc.to_domain() for region, doc in self.calendars.items()},
            sla_policies=tuple(policy.to_domain() for policy in self.sla_policies),
            escalation_policies=tuple(p.to_domain() for p in self.escalation_policies),
            directory=CoordinatorDirectory(c.to_domain() for c in self.coordinators),
            vip=VipRule(frozenset(self.vip.tiers), self.vip.wait),
        )


def load_config(text: str) -> EscalationConfig:
    """Parse a YAML document (JSON is YAML too)."""
    return EscalationConfig.model_validate(yaml.safe_load(text) or {})
