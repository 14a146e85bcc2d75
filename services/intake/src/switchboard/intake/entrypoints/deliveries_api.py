"""Adapters report how far a reply got (sent, delivered, read, failed), signed like their
contacts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, ConfigDict, StringConstraints

from switchboard.intake.domain.replies import ReplyDelivery
from switchboard.intake.entrypoints.dependencies import UnitOfWorkDep
from switchboard.intake.entrypoints.signed_body import SignedBodyDep, parse_json_body
from switchboard.intake.service_layer import replies
from switchboard.intake.service_layer.replies import Report, UnknownReply
from switchboard.servicekit.http import Problem

router = APIRouter(prefix="/v1/adapters/{adapter_id}", tags=["contacts"])


class DeliveryReport(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reply_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    state: Literal["sent", "delivered", "read", "failed"]
    at: AwareDatetime | None = None
    """When it happened at the provider; the time of the report when absent."""
    reason: Annotated[str, StringConstraints(max_length=2000)] | None = None
    """Why it failed, in the provider's words."""


@router.post("/deliveries")
async def report_delivery(signed: SignedBodyDep, uow: UnitOfWorkDep) -> dict[str, Any]:
    """A delivery report for a reply this adapter was sent: the reply's state moves forward
    (queued → accepted → sent → delivered → read, or failed); a late or repeated report
    changes nothing. 404 for a reply that was not sent through this adapter."""
    report = parse_json_body(DeliveryReport, signed)
    try:
        row = await replies.report_delivery(
            uow=uow,
            adapter_id=signed.adapter.id,
            report=Report(
                reply_id=report.reply_id,
                state=ReplyDelivery(report.state),
                at=report.at or datetime.now(UTC),
                reason=report.reason,
            ),
        )
    except UnknownReply as error:
        raise Problem(404, f"no reply {report.reply_id!r} sent through this adapter") from error
    return {"reply_id": row.id, "delivery": row.delivery}
