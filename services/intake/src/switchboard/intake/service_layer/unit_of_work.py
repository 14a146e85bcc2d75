"""What intake's use cases get besides their transaction: ``uow.deps``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.intake.adapters.adapter_directory import AdapterDirectory
from switchboard.intake.adapters.secret_box import SecretBox
from switchboard.intake.domain.language import ContactLanguageDetector
from switchboard.intake.domain.priority import PriorityPolicy
from switchboard.intake.service_layer.contacts.group_commit import AcceptBatcher
from switchboard.servicekit.deliveries import RetryPolicy
from switchboard.servicekit.unit_of_work import UnitOfWork, UnitsOfWork

if TYPE_CHECKING:
    from switchboard.intake.settings import SmtpListener


@dataclass
class IntakeDeps:
    sessions: async_sessionmaker[AsyncSession]
    detector: ContactLanguageDetector
    """Slow to build (seconds): one per process."""
    priorities: PriorityPolicy
    reopen_window: timedelta
    default_region: str
    secret_box: SecretBox
    previous_secret_grace: timedelta
    adapters: AdapterDirectory
    accept_batch_size: int
    mail_domain: str = "switchboard.invalid"
    outbound_retry: RetryPolicy = field(default_factory=RetryPolicy)
    outbound_timeout_seconds: float = 5.0
    public_base_url: str | None = None
    """Intake's base URL as providers reach it (where they report back)."""
    smtp_listener: SmtpListener | None = None
    """Where the mail receiver listens (an entrypoint's worker); None: it does not."""
    batcher: AcceptBatcher = field(init=False)
    """Writes accepted contacts in group commits, each in a unit of work with these very
    dependencies (a worker of the runtime)."""

    def __post_init__(self) -> None:
        self.batcher = AcceptBatcher(
            UnitsOfWork(self.sessions, self), max_batch=self.accept_batch_size
        )


IntakeUnitOfWork = UnitOfWork[IntakeDeps]
