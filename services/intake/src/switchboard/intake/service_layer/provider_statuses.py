"""A provider's status reports on messages intake sent through it (WhatsApp's statuses,
Messenger's deliveries and reads): each moves the outbound message the provider gave that
id, in one transaction; reports on messages sent from elsewhere change nothing."""

from __future__ import annotations

from collections.abc import Sequence

from switchboard.intake.domain.meta_webhooks import StatusReport
from switchboard.intake.service_layer import replies
from switchboard.intake.service_layer.unit_of_work import IntakeDeps
from switchboard.intake.settings import IntakeSettings
from switchboard.servicekit.service import Service


async def report_statuses(
    service: Service[IntakeSettings, IntakeDeps],
    *,
    adapter_id: str,
    reports: Sequence[StatusReport],
) -> int:
    """How many reports named a message sent through this adapter. Messages are locked in
    the order of their ids (concurrent posts cannot deadlock), each one's reports in the
    order the provider gave them."""
    if not reports:
        return 0
    matched = 0
    ordered = sorted(reports, key=lambda report: report.provider_message_id)
    async with service.transaction() as uow:
        for report in ordered:
            found = await replies.report_provider_delivery(
                uow=uow,
                adapter_id=adapter_id,
                provider_message_id=report.provider_message_id,
                state=report.state,
                at=report.at,
                reason=report.reason,
            )
            matched += found is not None
    return matched
