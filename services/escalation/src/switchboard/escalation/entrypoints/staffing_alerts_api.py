"""Pools' staffing alerts for coordinators: list those of their regions and acknowledge
one (a coordinator of its region, or an admin). Their events come on the escalations'
live stream (``GET /v1/escalations/stream``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict

from switchboard.escalation.adapters import staffing_alerts as store
from switchboard.escalation.adapters.staffing_alerts import StaffingAlertRow
from switchboard.escalation.entrypoints.dependencies import UnitOfWorkDep
from switchboard.escalation.entrypoints.escalations_api import IDENTIFIER, NoteBody
from switchboard.escalation.service_layer import staffing_alerts
from switchboard.escalation.service_layer.escalations import InvalidTransition, NotAllowed
from switchboard.escalation.service_layer.staffing_alerts import StaffingAlertNotFound
from switchboard.servicekit.auth import Principal, Role
from switchboard.servicekit.db.types import utcnow
from switchboard.servicekit.http.problems import Problem
from switchboard.servicekit.service.dependencies import PrincipalDep, SessionDep

router = APIRouter(prefix="/v1/staffing-alerts", tags=["staffing alerts"])

AlertId = Annotated[str, Path(min_length=1, max_length=64, pattern=IDENTIFIER)]
STATUSES: dict[str, tuple[str, ...]] = {
    "active": store.ACTIVE,
    "raised": ("raised",),
    "acknowledged": ("acknowledged",),
    "resolved": ("resolved",),
}


class StaffingAlertView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    alert_id: str
    pool: str
    region: str
    department: str | None
    status: str
    agents_required: int
    agents_available: int
    expected_service_level: float
    target_share: float
    target_answer_seconds: float
    arrivals: int
    load_erlangs: float
    interval_start: datetime
    interval_seconds: float
    assessed_at: datetime
    raised_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    note: str | None
    resolved_at: datetime | None

    @classmethod
    def of(cls, row: StaffingAlertRow) -> StaffingAlertView:
        return cls.model_validate(row)


def _readable_regions(principal: Principal) -> frozenset[str] | None:
    """Admins read every region's alerts (None), coordinators their token's, agents none."""
    if principal.role is Role.ADMIN:
        return None
    if principal.role is not Role.COORDINATOR:
        raise Problem(403, "only coordinators and admins read staffing alerts")
    return principal.regions


@router.get("", response_model=list[StaffingAlertView])
async def list_staffing_alerts(
    principal: PrincipalDep,
    session: SessionDep,
    status: Annotated[str, Query(pattern="^(active|raised|acknowledged|resolved)$")] = "active",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[StaffingAlertView]:
    """Staffing alerts of the caller's regions, newest first; by default the active ones
    (raised or acknowledged)."""
    rows = await store.alerts_of(
        session, regions=_readable_regions(principal), statuses=STATUSES[status], limit=limit
    )
    return [StaffingAlertView.of(row) for row in rows]


@router.post("/{alert_id}/acknowledge", response_model=StaffingAlertView)
async def acknowledge_staffing_alert(
    alert_id: AlertId, body: NoteBody, principal: PrincipalDep, uow: UnitOfWorkDep
) -> StaffingAlertView:
    """Take the alert: the region's other coordinators see who is on it."""
    try:
        row = await staffing_alerts.acknowledge(
            uow=uow, alert_id=alert_id, principal=principal, note=body.note, at=utcnow()
        )
    except StaffingAlertNotFound as error:
        raise Problem(404, f"no staffing alert {alert_id!r}") from error
    except NotAllowed as error:
        raise Problem(403, str(error)) from error
    except InvalidTransition as error:
        raise Problem(409, str(error), title="Conflict") from error
    return StaffingAlertView.of(row)
