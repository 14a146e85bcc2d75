"""Who a bearer token says the caller is: a subject, one role and the regions it covers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

SERVICE_SUBJECT = "service:"
"""The subject prefix of the tokens services issue themselves (``service:escalation``)."""


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    AGENT = "agent"


@dataclass(frozen=True)
class Principal:
    """The caller, as its token describes it. What each role may do is the service's rule;
    regions are opaque codes here."""

    subject: str
    role: Role
    regions: frozenset[str] = frozenset()
    platform_signed: bool = False
    """The token was signed with the platform's own secret (the tokens services issue
    themselves, and development tokens), not by a single sign-on provider: a provider's
    claims can say anything, so a provider's token never passes for a service."""

    def covers(self, region: str) -> bool:
        """Whether the caller oversees ``region``: admins all, others their token's."""
        return self.role is Role.ADMIN or region in self.regions
