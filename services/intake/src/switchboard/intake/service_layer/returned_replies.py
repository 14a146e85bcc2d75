"""A bounce for mail intake sent: the reply or survey request it names (by the Message-ID
intake gave it) fails, in the mail system's words — published like any other delivery
change. A bounce for mail intake did not send changes nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from switchboard.intake.adapters.orm import ReplyRow
from switchboard.intake.domain.email_automated import AutomatedMail
from switchboard.intake.domain.replies import ReplyDelivery
from switchboard.intake.domain.returned_mail import ReturnedMail
from switchboard.intake.service_layer.replies import Report, report_delivery
from switchboard.intake.service_layer.unit_of_work import IntakeDeps, IntakeUnitOfWork
from switchboard.servicekit.unit_of_work import UnitsOfWork


async def automated_mail_taken(
    deps: IntakeDeps, automated: AutomatedMail, *, at: datetime
) -> str | None:
    """Mail no person wrote, taken by any mail path: a bounce that names mail intake sent
    fails it (its id is returned); anything else changes nothing."""
    if automated.returned is None:
        return None
    async with UnitsOfWork(deps.sessions, deps).begin() as uow:
        return await reply_returned(uow, automated.returned, at=at)


async def reply_returned(
    uow: IntakeUnitOfWork, returned: ReturnedMail, *, at: datetime
) -> str | None:
    """The id of the outbound message the bounce failed, or None if intake sent none by
    that Message-ID."""
    query = select(ReplyRow.id, ReplyRow.adapter_id).where(
        ReplyRow.thread_ref == f"email:{returned.message_id}"
    )
    found = (await uow.session.execute(query.limit(1))).first()
    if found is None:
        return None
    report = Report(reply_id=found.id, state=ReplyDelivery.FAILED, at=at, reason=returned.reason)
    await report_delivery(uow=uow, adapter_id=found.adapter_id, report=report)
    return str(found.id)
