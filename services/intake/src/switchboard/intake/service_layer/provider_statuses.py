"""A provider's status reports on messages intake sent through it (WhatsApp's statuses,
Messenger's deliveries and reads): each moves the outbound message the provider gave that
id — or, for a report naming only a time, every message sent to that customer's
conversation before it — in one transaction; reports on messages sent from elsewhere
change nothing."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from switchboard.intake.adapters.orm import ContactRow, ReplyRow
from switchboard.intake.domain.meta_webhooks import StatusReport, WatermarkReport
from switchboard.intake.domain.replies import ReplyDelivery
from switchboard.intake.service_layer import replies
from switchboard.intake.service_layer.unit_of_work import IntakeDeps, IntakeUnitOfWork
from switchboard.intake.settings import IntakeSettings
from switchboard.servicekit.service import Service

_BEFORE_READ = (
    ReplyDelivery.ACCEPTED.value,
    ReplyDelivery.SENT.value,
    ReplyDelivery.DELIVERED.value,
)


async def report_statuses(
    service: Service[IntakeSettings, IntakeDeps],
    *,
    adapter_id: str,
    reports: Sequence[StatusReport | WatermarkReport],
) -> int:
    """How many messages sent through this adapter the reports named. Messages are locked
    in the order of their ids (concurrent posts cannot deadlock), each one's reports in the
    order the provider gave them."""
    if not reports:
        return 0
    by_id = sorted(
        (r for r in reports if isinstance(r, StatusReport)), key=lambda r: r.provider_message_id
    )
    by_time = [r for r in reports if isinstance(r, WatermarkReport)]
    matched = 0
    async with service.transaction() as uow:
        for report in by_id:
            found = await replies.report_provider_delivery(
                uow=uow,
                adapter_id=adapter_id,
                provider_message_id=report.provider_message_id,
                state=report.state,
                at=report.at,
                reason=report.reason,
            )
            matched += found is not None
        for watermark in by_time:
            matched += await _report_up_to(uow, adapter_id, watermark)
    return matched


async def _report_up_to(uow: IntakeUnitOfWork, adapter_id: str, report: WatermarkReport) -> int:
    """Every message the adapter sent to the conversation before the watermark moves."""
    cases = select(ContactRow.case_id).where(
        ContactRow.adapter_id == adapter_id, ContactRow.thread_ref == report.thread_ref
    )
    query = (
        select(ReplyRow.id)
        .where(
            ReplyRow.case_id.in_(cases.distinct()),
            ReplyRow.adapter_id == adapter_id,
            ReplyRow.delivery.in_(_BEFORE_READ),
            ReplyRow.posted_at <= report.up_to,
        )
        .order_by(ReplyRow.id)
    )
    reply_ids = list(await uow.session.scalars(query))
    for reply_id in reply_ids:
        moved = replies.Report(reply_id=reply_id, state=report.state, at=report.up_to)
        await replies.report_delivery(uow=uow, adapter_id=adapter_id, report=moved)
    return len(reply_ids)
