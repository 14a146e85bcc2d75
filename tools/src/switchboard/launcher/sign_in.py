"""Console sign-in links for the local platform: one token per configured coordinator,
signed with the secret the services verify, carried in the URL fragment (never sent to a
server, never logged)."""

from __future__ import annotations

from datetime import timedelta

from switchboard.launcher.escalation_config import Coordinator
from switchboard.servicekit.auth import DEV_JWT_SECRET, Role, TokenVerifier

AUDIENCE = "switchboard"
LINK_TTL = timedelta(hours=12)


def token_for(subject: str, role: Role, regions: tuple[str, ...], secret: str | None) -> str:
    verifier = TokenVerifier(secret or DEV_JWT_SECRET, AUDIENCE)
    return verifier.issue(subject=subject, role=role, regions=regions, ttl=LINK_TTL)


def console_links(
    console_url: str, coordinators: list[Coordinator], secret: str | None
) -> list[tuple[str, str]]:
    """(who, link) for every coordinator, then an admin who sees every region."""
    links = [
        (
            f"{c.name} ({', '.join(c.regions)})",
            f"{console_url}#token={token_for(c.id, Role.COORDINATOR, c.regions, secret)}",
        )
        for c in coordinators
    ]
    admin = token_for("local-admin", Role.ADMIN, (), secret)
    links.append(("admin (all regions)", f"{console_url}#token={admin}"))
    return links
