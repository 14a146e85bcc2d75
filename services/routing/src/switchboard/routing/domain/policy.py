"""Routing policies as data: ordered steps that broaden over time, then a fallback.

A step's ``timeout`` and a policy's ``offer_timeout`` are durations in servicekit's one
syntax (``20``, ``"20s"``, ``"1m30s"``, ``"PT2M"``); the older ``timeout_seconds`` and
``offer_timeout_seconds`` numbers are still read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from switchboard.routing.domain.expressions import (
    CaseFacts,
    ExpressionError,
    Requirement,
    compile_requirement,
)
from switchboard.servicekit.durations import EXAMPLES, parse_duration

MATCH_ALL = "true"
DEFAULT_OFFER_TIMEOUT = timedelta(seconds=30)


class PolicyError(ValueError):
    """A policy document that cannot be used; ``where`` locates the bad field."""

    def __init__(self, message: str, *, where: str, column: int | None = None) -> None:
        suffix = f" at column {column}" if column is not None else ""
        super().__init__(f"{where}: {message}{suffix}")
        self.where = where
        self.reason = message
        self.column = column


MAX_NAME_LENGTH = 128
"""A case row stores its policy's name in a column this long."""


@dataclass(frozen=True)
class Step:
    requirement: Requirement
    timeout: timedelta | None


@dataclass(frozen=True)
class Policy:
    name: str
    when: Requirement
    steps: tuple[Step, ...]
    offer_timeout: timedelta = DEFAULT_OFFER_TIMEOUT

    def applies_to(self, case: CaseFacts) -> bool:
        return self.when.matches(None, case)

    def step_due(self, step: int, started_at: datetime) -> datetime | None:
        """When ``step`` gives way to the next one; ``None`` for the last."""
        timeout = self.steps[step].timeout
        if timeout is None or step >= len(self.steps) - 1:
            return None
        return started_at + timeout


def advance_steps(
    policy: Policy, *, step: int, started_at: datetime, now: datetime
) -> tuple[int, datetime]:
    """The step a case has reached by ``now`` and when that step started."""
    step = min(step, len(policy.steps) - 1)
    due = policy.step_due(step, started_at)
    while due is not None and due <= now:
        step, started_at = step + 1, due
        due = policy.step_due(step, started_at)
    return step, started_at


def next_review_at(
    policy: Policy,
    *,
    step: int,
    step_started_at: datetime,
    preferred_until: datetime | None,
) -> datetime | None:
    """When a waiting case's step or preferred agent next changes."""
    moments = [policy.step_due(min(step, len(policy.steps) - 1), step_started_at), preferred_until]
    present = [moment for moment in moments if moment is not None]
    return min(present) if present else None


@dataclass(frozen=True, eq=False)
class PolicySet:
    policies: tuple[Policy, ...]
    default: Policy

    def for_case(self, case: CaseFacts) -> Policy:
        for policy in self.policies:
            if policy.applies_to(case):
                return policy
        return self.default

    def by_name(self, name: str) -> Policy:
        return self._by_name.get(name, self.default)

    @cached_property
    def _by_name(self) -> dict[str, Policy]:
        return {policy.name: policy for policy in self.policies}


def catch_all_policy(*, offer_timeout: timedelta = DEFAULT_OFFER_TIMEOUT) -> Policy:
    everything = compile_requirement(MATCH_ALL)
    return Policy(
        name="default",
        when=compile_requirement(MATCH_ALL, case_only=True),
        steps=(Step(everything, None),),
        offer_timeout=offer_timeout,
    )


def policy_set_from_data(document: Mapping[str, Any]) -> PolicySet:
    """Build policies from a parsed document ``{"policies": [...]}``; raises PolicyError."""
    entries = document.get("policies")
    if not isinstance(entries, list):
        raise PolicyError("expected a list", where="policies")
    policies = tuple(
        policy_from_data(entry, where=f"policies[{index}]") for index, entry in enumerate(entries)
    )
    names = [policy.name for policy in policies]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise PolicyError(f"duplicate policy names {duplicates}", where="policies")
    return PolicySet(policies=policies, default=catch_all_policy())


def policy_from_data(entry: Any, *, where: str) -> Policy:
    if not isinstance(entry, Mapping):
        raise PolicyError("expected a mapping", where=where)
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise PolicyError("a policy needs a non-empty name", where=f"{where}.name")
    if len(name) > MAX_NAME_LENGTH or not name.isprintable():
        raise PolicyError(
            f"a policy name is at most {MAX_NAME_LENGTH} printable characters",
            where=f"{where}.name",
        )
    when = _requirement(entry.get("when", MATCH_ALL), where=f"{where}.when", case_only=True)
    raw_steps = entry.get("steps", [])
    if not isinstance(raw_steps, Sequence) or isinstance(raw_steps, str):
        raise PolicyError("expected a list of steps", where=f"{where}.steps")
    steps = [_step(raw, where=f"{where}.steps[{index}]") for index, raw in enumerate(raw_steps)]
    fallback = _requirement(entry.get("fallback", MATCH_ALL), where=f"{where}.fallback")
    steps.append(Step(fallback, None))
    offer_timeout = _duration(entry, "offer_timeout", where=where) or DEFAULT_OFFER_TIMEOUT
    return Policy(name=name, when=when, steps=tuple(steps), offer_timeout=offer_timeout)


def _step(raw: Any, *, where: str) -> Step:
    if not isinstance(raw, Mapping):
        raise PolicyError("expected a mapping with 'requires' and 'timeout'", where=where)
    requirement = _requirement(raw.get("requires"), where=f"{where}.requires")
    timeout = _duration(raw, "timeout", where=where)
    if timeout is None:
        raise PolicyError(f"a step needs a timeout ({EXAMPLES})", where=f"{where}.timeout")
    return Step(requirement, timeout)


def _requirement(raw: Any, *, where: str, case_only: bool = False) -> Requirement:
    if not isinstance(raw, str):
        raise PolicyError("expected an expression string", where=where)
    try:
        return compile_requirement(raw, case_only=case_only)
    except ExpressionError as error:
        raise PolicyError(error.reason, where=where, column=error.column) from error


def _duration(entry: Mapping[str, Any], key: str, *, where: str) -> timedelta | None:
    """``key`` in any duration spelling, or ``<key>_seconds`` as a number (the older
    spelling, still read); None when neither is given."""
    old_key = f"{key}_seconds"
    if key in entry and old_key in entry:
        raise PolicyError(f"give {key} or {old_key}, not both", where=f"{where}.{key}")
    if old_key in entry:
        seconds = entry[old_key]
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
            raise PolicyError("expected a positive number of seconds", where=f"{where}.{old_key}")
        return timedelta(seconds=seconds)
    if key not in entry:
        return None
    try:
        return parse_duration(entry[key])
    except ValueError as error:
        raise PolicyError(str(error), where=f"{where}.{key}") from error
