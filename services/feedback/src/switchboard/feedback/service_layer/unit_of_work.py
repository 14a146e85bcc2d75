"""What feedback's use cases receive: a unit of work carrying the service's dependencies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from switchboard.feedback.adapters.rollup_folder import RollupFolder
from switchboard.feedback.settings import FeedbackSettings
from switchboard.servicekit.db import utcnow
from switchboard.servicekit.personal_keys import PersonalKeys
from switchboard.servicekit.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class FeedbackDeps:
    settings: FeedbackSettings
    """Survey policy, questions, link secrets, detractor thresholds, region time zones."""
    clock: Callable[[], datetime] = utcnow
    """Now: when a survey is sent or answered, whether a link still answers, where a KPI
    range ends by default. Tests turn it."""
    personal_keys: PersonalKeys | None = None
    """Customers' data keys, from intake: survey comments in events are sealed under them."""
    rollup_folder: RollupFolder | None = None
    """Folds the roll-up deltas into the roll-ups (a worker; reads add what is not folded
    yet, so in-process tests may leave it out)."""


FeedbackUnitOfWork = UnitOfWork[FeedbackDeps]
