"""When a delivery is tried again: exponential backoff, then dead after N failed attempts."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


@dataclass(frozen=True)
class RetryPolicy:
    first_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=10)
    max_attempts: int = 8

    def __post_init__(self) -> None:
        if self.first_delay <= timedelta(0) or self.max_delay < self.first_delay:
            raise ValueError("retry delays must be positive and max_delay >= first_delay")
        if self.max_attempts < 1:
            raise ValueError("at least one attempt is needed")

    def delay_after(self, failed_attempts: int) -> timedelta:
        """Wait after the n-th failed attempt: first_delay doubled each time, capped."""
        doublings = min(failed_attempts - 1, 40)
        delay: timedelta = min(self.first_delay * (2**doublings), self.max_delay)
        return delay


@dataclass(frozen=True)
class Delivery:
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None = None

    def succeeded(self) -> Delivery:
        return replace(
            self,
            status=DeliveryStatus.DELIVERED,
            attempts=self.attempts + 1,
            next_attempt_at=None,
            last_error=None,
        )

    def failed(
        self,
        *,
        at: datetime,
        error: str,
        policy: RetryPolicy,
        final: bool = False,
        wait: timedelta | None = None,
    ) -> Delivery:
        """Tried again after the policy's delay (or the ``wait`` the receiver asked for, if
        longer); dead after the last attempt, or at once when the failure is ``final``."""
        attempts = self.attempts + 1
        if final or attempts >= policy.max_attempts:
            return replace(
                self,
                status=DeliveryStatus.DEAD,
                attempts=attempts,
                next_attempt_at=None,
                last_error=error,
            )
        return replace(
            self,
            attempts=attempts,
            last_error=error,
            next_attempt_at=at + max(policy.delay_after(attempts), wait or timedelta(0)),
        )


@dataclass(frozen=True)
class Settled:
    """What one attempt came to."""

    delivery_id: int
    stream: str
    recipient: str
    message_id: str
    event_type: str
    status: DeliveryStatus
    """``delivered``, ``pending`` (it will be tried again) or ``dead``."""
    attempts: int
    error: str | None
    status_code: int | None
    at: datetime
    answer: bytes = b""
    """The start of the receiver's answer (the sender keeps a bounded start): a provider's
    answer names the message it made."""
