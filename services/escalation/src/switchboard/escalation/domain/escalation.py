"""Escalation policies (ordered levels, delays, repeats) and the escalation state machine.

PagerDuty's model: an escalation is raised at the first level; whoever it notifies must
acknowledge within that level's delay, otherwise it moves up a level; after the last level
the policy may start again from the first, `repeat` more times. Acknowledging, resolving the
escalation or resolving the case stops it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta


class EscalationError(ValueError):
    """An escalation policy or transition that is not allowed."""


class TriggerKind(enum.StrEnum):
    SLA_BREACH = "sla_breach"
    SLA_WARNING = "sla_warning"
    DETRACTOR = "detractor"
    MANUAL = "manual"
    ANGRY_MESSAGE = "angry_message"
    THREATENING_MESSAGE = "threatening_message"
    VIP_WAITING = "vip_waiting"
    REPEAT_CONTACT = "repeat_contact"
    REPLY_DELIVERY_FAILED = "reply_delivery_failed"
    """A reply intake could not deliver (the contract's name too)."""


@dataclass(frozen=True)
class EscalationLevel:
    """Who is notified at this level, and how long they have to acknowledge."""

    name: str
    targets: tuple[str, ...]
    acknowledge_within: timedelta

    def __post_init__(self) -> None:
        if self.acknowledge_within <= timedelta(0):
            raise EscalationError(f"level {self.name!r}: the delay must be positive")


@dataclass(frozen=True)
class EscalationPolicy:
    name: str
    levels: tuple[EscalationLevel, ...]
    repeat: int = 0
    triggers: frozenset[TriggerKind] = frozenset(TriggerKind)

    def __post_init__(self) -> None:
        if not self.levels:
            raise EscalationError(f"policy {self.name!r} has no levels")
        if self.repeat < 0:
            raise EscalationError(f"policy {self.name!r}: repeat must not be negative")

    def __hash__(self) -> int:
        return hash(self.name)


def policy_for_trigger(
    policies: tuple[EscalationPolicy, ...], trigger: TriggerKind, preferred: str | None = None
) -> EscalationPolicy | None:
    """The named policy if it answers this trigger, else the first policy that does."""
    answering = [policy for policy in policies if trigger in policy.triggers]
    named = [policy for policy in answering if policy.name == preferred]
    candidates = named or answering
    return candidates[0] if candidates else None


class EscalationStatus(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Escalation:
    """One escalation of one case; every transition returns a new escalation.

    `acknowledge_by` is when it moves up if nobody acknowledges; None once it is
    acknowledged, resolved, or has run out of levels and repeats (exhausted).
    """

    escalation_id: str
    case_id: str
    region: str
    trigger: TriggerKind
    policy: EscalationPolicy
    status: EscalationStatus
    level_index: int
    cycle: int
    raised_at: datetime
    acknowledge_by: datetime | None
    assignee: str | None = None
    acknowledged_by: str | None = None
    resolved_by: str | None = None

    @classmethod
    def raise_for(
        cls,
        *,
        escalation_id: str,
        case_id: str,
        region: str,
        trigger: TriggerKind,
        policy: EscalationPolicy,
        at: datetime,
    ) -> Escalation:
        return cls(
            escalation_id=escalation_id,
            case_id=case_id,
            region=region,
            trigger=trigger,
            policy=policy,
            status=EscalationStatus.OPEN,
            level_index=0,
            cycle=0,
            raised_at=at,
            acknowledge_by=at + policy.levels[0].acknowledge_within,
        )

    @property
    def level(self) -> EscalationLevel:
        return self.policy.levels[self.level_index]

    def acknowledge(self, *, by: str) -> Escalation:
        if self.status is not EscalationStatus.OPEN:
            raise EscalationError(f"escalation {self.escalation_id} is {self.status}, not open")
        return replace(
            self, status=EscalationStatus.ACKNOWLEDGED, acknowledged_by=by, acknowledge_by=None
        )

    def resolve(self, *, by: str) -> Escalation:
        if self.status is EscalationStatus.RESOLVED:
            return self
        return replace(self, status=EscalationStatus.RESOLVED, resolved_by=by, acknowledge_by=None)

    def reassign(self, *, to: str, at: datetime) -> Escalation:
        """Hand the escalation to someone else, who must acknowledge within the level's delay."""
        if self.status is EscalationStatus.RESOLVED:
            raise EscalationError(f"escalation {self.escalation_id} is already resolved")
        return replace(
            self,
            status=EscalationStatus.OPEN,
            assignee=to,
            acknowledged_by=None,
            acknowledge_by=at + self.level.acknowledge_within,
        )

    def escalate_if_unacknowledged(self, *, at: datetime) -> Escalation:
        """The acknowledgement deadline passed: move up a level (or start the next cycle).

        A stale or early timer changes nothing, so firing it twice is harmless.
        """
        if self.acknowledge_by is None or at < self.acknowledge_by:
            return self
        level_index, cycle = self.level_index + 1, self.cycle
        if level_index == len(self.policy.levels):
            level_index, cycle = 0, cycle + 1
        if cycle > self.policy.repeat:
            return replace(self, acknowledge_by=None)
        next_level = self.policy.levels[level_index]
        return replace(
            self,
            level_index=level_index,
            cycle=cycle,
            assignee=None,
            acknowledge_by=self.acknowledge_by + next_level.acknowledge_within,
        )
