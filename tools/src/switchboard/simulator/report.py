"""What a simulated day did: every contact posted and intake's answer, and the counts of
what agents, customers and the platform did with them."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

MAX_ERRORS = 50


@dataclass
class ContactRecord:
    day: int
    sim_time: str
    """Simulated clock time, ``HH:MM``."""
    channel: str
    region: str
    language: str
    kind: str
    """``new`` (a first contact), ``repeat`` (a known customer), ``email_reply`` (threads
    onto the customer's earlier e-mail)."""
    customer: str
    adapter_id: str
    status: int
    """Intake's HTTP status: 202, or what it refused with (0: no answer)."""
    case_id: str | None = None
    contact_id: str | None = None
    customer_id: str | None = None
    outcome: str | None = None
    duplicate: bool = False
    priority: int | None = None
    angry: bool = False
    gave_up: str | None = None
    """Why intake's answer never came: the error after the retries, or ``stopped`` (the run
    was stopped while it was still being sent)."""


@dataclass
class SurveyRecord:
    survey_id: str
    case_id: str
    region: str
    answered: bool = False
    status: int | None = None
    csat: int | None = None
    nps: int | None = None
    ces: int | None = None


@dataclass
class Offers:
    seen: int = 0
    accepted: int = 0
    declined: int = 0
    expired: int = 0
    lost: int = 0
    """Accepts refused because the offer had moved on (expired, agent went away)."""


@dataclass
class Conversation:
    """Replies and what became of them at the simulated adapters."""

    replies_sent: int = 0
    """Agents' replies intake accepted (202) for sending to the customer."""
    replies_refused: int = 0
    """Replies intake would not take (the case had moved on, no outbound address, ...)."""
    received: int = 0
    """Outbound messages (replies and survey invitations) our adapters received, signed."""
    survey_invitations: int = 0
    forged: int = 0
    """Outbound requests our adapters refused: the signature did not verify."""
    delivered: int = 0
    read: int = 0
    failed: int = 0
    failure_reasons: dict[str, int] = field(default_factory=dict)
    """A plain dict: ``asdict`` would rebuild a Counter from its pairs."""
    customer_answers: int = 0
    """Customers who wrote back on the thread of a reply (intake's 202)."""


@dataclass
class DayReport:
    run_id: str
    seed: int
    day_seconds: float
    contacts_planned: int
    regions: dict[str, str]
    """Region name → its code on the platform."""
    understaffed_regions: list[str]
    understaffed_hours: list[str] = field(default_factory=list)
    """Windows in which most of a region's agents were sent away (``dach@10:00+60/1``)."""
    agents: int = 0
    days: int = 0
    interrupted: bool = False
    started_at: str = ""
    finished_at: str = ""
    contacts: list[ContactRecord] = field(default_factory=list)
    offers: Offers = field(default_factory=Offers)
    replies: int = 0
    """Replies by the agents (through intake; on the phone, routing's ``/replies``)."""
    conversation: Conversation = field(default_factory=Conversation)
    transfers: int = 0
    resolutions: int = 0
    surveys: list[SurveyRecord] = field(default_factory=list)
    sla_warnings: Counter[str] = field(default_factory=Counter)
    sla_breaches: Counter[str] = field(default_factory=Counter)
    escalations: Counter[str] = field(default_factory=Counter)
    """Escalations raised on our cases, by region name."""
    escalation_triggers: Counter[str] = field(default_factory=Counter)
    escalations_acknowledged: Counter[str] = field(default_factory=Counter)
    """Escalations the region's coordinator acknowledged, by region name."""
    """The same escalations by trigger (sla_breach, repeat_contact, angry_message, ...)."""
    kpis: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def error(self, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(message)

    @property
    def accepted(self) -> list[ContactRecord]:
        return [contact for contact in self.contacts if contact.status == 202]

    @property
    def by_channel(self) -> Counter[str]:
        return Counter(contact.channel for contact in self.accepted)

    @property
    def by_region(self) -> Counter[str]:
        return Counter(contact.region for contact in self.accepted)

    @property
    def surveys_answered(self) -> list[SurveyRecord]:
        return [survey for survey in self.surveys if survey.answered]

    def to_json(self) -> dict[str, Any]:
        document = asdict(self)
        document |= {
            "contacts_by_channel": dict(self.by_channel),
            "contacts_by_region": dict(self.by_region),
            "contacts_accepted": len(self.accepted),
            "contacts_refused": len(self.contacts) - len(self.accepted),
            "surveys_requested": len(self.surveys),
            "surveys_answered": len(self.surveys_answered),
            "sla_warnings": dict(self.sla_warnings),
            "sla_breaches": dict(self.sla_breaches),
            "escalations": dict(self.escalations),
            "escalation_triggers": dict(self.escalation_triggers),
            "escalations_acknowledged": dict(self.escalations_acknowledged),
        }
        return document
