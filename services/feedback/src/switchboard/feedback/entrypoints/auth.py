"""Who may read which KPIs; the caller is servicekit's bearer JWT (role and regions)."""

from __future__ import annotations

from switchboard.feedback.domain.rollups import ALL_REGIONS
from switchboard.servicekit.auth import Principal, Role
from switchboard.servicekit.http import Problem


def authorize_kpi_read(principal: Principal, *, region: str, agent_id: str | None) -> None:
    """Admins read everything; coordinators their regions; agents their own numbers."""
    if principal.role is Role.ADMIN:
        return
    if region == ALL_REGIONS or region not in principal.regions:
        raise Problem(403, f"your token does not cover region {region!r}")
    if principal.role is Role.AGENT and agent_id != principal.subject:
        raise Problem(403, "agents may read only their own KPIs (agent=<your id>)")
