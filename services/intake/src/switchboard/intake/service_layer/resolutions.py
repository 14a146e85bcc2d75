"""Routing resolved a case: its thread stays reopenable for the window, then closes."""

from __future__ import annotations

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import CaseResolved
from switchboard.intake.adapters.orm import CaseRow
from switchboard.intake.domain.threading import CaseStatus
from switchboard.intake.service_layer.unit_of_work import IntakeUnitOfWork


async def record_resolution(message: Envelope[CaseResolved], uow: IntakeUnitOfWork) -> None:
    """A resolution older than the case's latest reopening is history and changes nothing."""
    resolved = message.data
    case = await uow.session.get(CaseRow, resolved.case_id, with_for_update=True)
    if case is None:
        return
    if case.reopened_at is not None and resolved.resolved_at <= case.reopened_at:
        return
    case.status = CaseStatus.RESOLVED.value
    case.resolved_at = resolved.resolved_at
    case.resolution_code = resolved.resolution_code
