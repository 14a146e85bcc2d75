"""What escalation's use cases, routes and workers share: the service's dependencies, handed
to every unit of work as ``uow.deps``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from switchboard.escalation.adapters.config_store import ConfigFile, ConfigStore
from switchboard.escalation.adapters.live_feed import LiveFeed
from switchboard.escalation.adapters.problem_watch import ProblemWatch
from switchboard.escalation.domain.message_classifier import MessageClassifier
from switchboard.servicekit.deliveries import DeliverySender
from switchboard.servicekit.personal_keys import PersonalKeys
from switchboard.servicekit.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class EscalationDeps:
    config: ConfigStore
    """Policies, calendars and coordinators: every use case decides with them."""
    classifier: MessageClassifier
    """Tells angry and threatening customer messages."""
    clock: Callable[[], datetime]
    """The time a fired timer acts at (a test's clock in tests)."""
    live_feed: LiveFeed
    """Escalation events of every replica for the live streams (a worker)."""
    webhook_sender: DeliverySender
    """Delivers the queued coordinator webhooks (a worker; servicekit's deliveries)."""
    config_file: ConfigFile | None
    """Stored as the active configuration when the service starts, if there is one."""
    problems: ProblemWatch
    """Problems across regions: the detector, fed from the table of contacts' terms."""
    personal_keys: PersonalKeys | None = None
    """Customers' data keys, from intake: a contact's text arrives sealed under one."""
    breach_margin_share: float = 0.1
    """A waiting case is predicted to breach when its offer is expected later than its
    first-response deadline less this share of the target (time to accept and reply)."""


EscalationUnitOfWork = UnitOfWork[EscalationDeps]
