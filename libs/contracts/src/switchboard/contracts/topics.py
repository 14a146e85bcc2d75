"""Kafka topics, each with exactly one writing service."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    name: str
    writer: str
    key: str
    description: str


CASES = Topic(
    "switchboard.cases",
    "intake",
    "case id",
    "Cases opened, contacts received on them, cases reopened; customers merged, their "
    "erasure requested and intake's confirmation (keyed by customer id).",
)
ASSIGNMENTS = Topic(
    "switchboard.assignments",
    "routing",
    "case id",
    "A case's path through routing: queued, its wait estimated, offered, assigned, declined, "
    "expired, transferred, replied to, resolved; routing's confirmation of a customer's "
    "erasure (keyed by customer id).",
)
AGENT_STATUS = Topic(
    "switchboard.agent-status",
    "routing",
    "agent id",
    "Agent presence and capacity changes.",
)
SLA = Topic(
    "switchboard.sla",
    "escalation",
    "case id",
    "SLA clock warnings, breaches and achievements; breaches predicted for waiting cases, "
    "and their clearing.",
)
ESCALATIONS = Topic(
    "switchboard.escalations",
    "escalation",
    "escalation id (a staffing alert's id)",
    "Escalations of cases raised, acknowledged, escalated further and resolved; staffing "
    "alerts of pools raised, acknowledged and resolved; escalation's confirmation of a "
    "customer's erasure (keyed by customer id).",
)
SURVEYS = Topic(
    "switchboard.surveys",
    "feedback",
    "case id",
    "Survey requests for channel adapters to deliver, and the answers; feedback's "
    "confirmation of a customer's erasure (keyed by customer id).",
)
STAFFING = Topic(
    "switchboard.staffing",
    "routing",
    "pool",
    "A pool short of the agents its service-level target needs this interval, and its recovery.",
)
PROBLEMS = Topic(
    "switchboard.problems",
    "escalation",
    "problem id",
    "Problems detected across regions from contacts' texts (the same topic rising in two or "
    "more regions at once), acknowledged by coordinators, and the notes they share.",
)
FEEDBACK_ALERTS = Topic(
    "switchboard.feedback-alerts",
    "feedback",
    "case id",
    "Detractor alerts that ask for a follow-up.",
)

ALL_TOPICS: tuple[Topic, ...] = (
    CASES,
    ASSIGNMENTS,
    AGENT_STATUS,
    STAFFING,
    SLA,
    ESCALATIONS,
    PROBLEMS,
    SURVEYS,
    FEEDBACK_ALERTS,
)


def dead_letter_topic(consumer_group: str) -> str:
    """The dead-letter topic of one consumer group."""
    return f"switchboard.dlq.{consumer_group}"
