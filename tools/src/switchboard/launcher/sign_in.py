"""Console sign-in links for the local platform: one token per configured coordinator,
signed with the secret the services verify, carried in the URL fragment (never sent to a
server, never logged)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import yaml

from switchboard.servicekit.auth import DEV_JWT_SECRET, Role, TokenVerifier

AUDIENCE = "switchboard"
LINK_TTL = timedelta(hours=12)


@dataclass(frozen=True)
class Coordinator:
    id: str
    name: str
    regions: tuple[str, ...]


def coordinators_in(escalation_config: Path | None) -> list[Coordinator]:
    if escalation_config is None or not escalation_config.is_file():
        return []
    document = yaml.safe_load(escalation_config.read_text(encoding="utf-8")) or {}
    return [
        Coordinator(
            id=str(entry["id"]),
            name=str(entry.get("name", entry["id"])),
            regions=tuple(str(region) for region in entry.get("regions", [])),
        )
        for entry in document.get("coordinators", [])
        if isinstance(entry, dict) and "id" in entry
    ]


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
