"""A customer erased (GDPR art. 17) and exported (art. 15), as far as feedback holds them.

Erasing keeps every score and count (the KPI roll-ups hold no customer, and answers keep
their scores) and drops what is personal: survey comments, the channel's thread
references, delivery errors, the link from cases and surveys to the customer, and the
customer's last-surveyed row; a survey not answered yet expires.
``CustomerErasedByFeedback`` confirms."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import CustomerErasedByFeedback, CustomerErasureRequested
from switchboard.feedback.adapters.orm import (
    AnswerRow,
    Base,
    CaseRow,
    CustomerRow,
    FollowUpRow,
    SurveyRow,
)
from switchboard.feedback.service_layer.unit_of_work import FeedbackUnitOfWork

ERASED = "erased"
"""What an erased customer's surveys name as their customer (the column is required)."""


async def erase_customer(
    message: Envelope[CustomerErasureRequested], uow: FeedbackUnitOfWork
) -> None:
    request, session, now = message.data, uow.session, uow.deps.clock()
    ids = [request.customer_id, *request.merged_ids]
    case_ids = await _case_ids(session, ids, list(request.case_ids))
    survey_ids = list(
        await session.scalars(
            select(SurveyRow.survey_id).where(
                or_(SurveyRow.customer_id.in_(ids), SurveyRow.case_id.in_(case_ids))
            )
        )
    )
    statements = [
        update(CaseRow)
        .where(CaseRow.case_id.in_(case_ids))
        .values(customer_id=None, thread_ref=None),
        update(SurveyRow)
        .where(SurveyRow.survey_id.in_(survey_ids))
        .values(customer_id=ERASED, thread_ref=None, undelivered_reason=None),
        update(SurveyRow)
        .where(SurveyRow.survey_id.in_(survey_ids), SurveyRow.answered_at.is_(None))
        .values(expires_at=now),
        update(AnswerRow).where(AnswerRow.survey_id.in_(survey_ids)).values(comment=None),
        delete(CustomerRow).where(CustomerRow.customer_id.in_(ids)),
    ]
    rows = 0
    for statement in statements:
        rows += (await session.execute(statement)).rowcount or 0  # type: ignore[attr-defined]
    await uow.publish(
        CustomerErasedByFeedback(
            erasure_id=request.erasure_id,
            customer_id=request.customer_id,
            service="feedback",
            erased_at=now,
            rows=rows,
        )
    )


async def export_customer(session: AsyncSession, customer_id: str) -> dict[str, Any]:
    """Every row feedback holds of the customer: cases, surveys, answers, follow-ups."""
    case_ids = await _case_ids(session, [customer_id], [])
    surveys = list(
        await session.scalars(
            select(SurveyRow).where(
                or_(SurveyRow.customer_id == customer_id, SurveyRow.case_id.in_(case_ids))
            )
        )
    )
    survey_ids = [survey.survey_id for survey in surveys]
    tables: dict[str, Iterable[Base]] = {
        "customers": await session.scalars(
            select(CustomerRow).where(CustomerRow.customer_id == customer_id)
        ),
        "cases": await session.scalars(select(CaseRow).where(CaseRow.case_id.in_(case_ids))),
        "surveys": surveys,
        "answers": await session.scalars(
            select(AnswerRow).where(AnswerRow.survey_id.in_(survey_ids))
        ),
        "followups": await session.scalars(
            select(FollowUpRow).where(FollowUpRow.survey_id.in_(survey_ids))
        ),
    }
    return {
        "service": "feedback",
        "customer_id": customer_id,
        "tables": {name: [_plain(row) for row in rows] for name, rows in tables.items()},
    }


async def _case_ids(session: AsyncSession, customer_ids: list[str], known: list[str]) -> list[str]:
    found = await session.scalars(
        select(CaseRow.case_id).where(CaseRow.customer_id.in_(customer_ids))
    )
    return sorted({*known, *found})


def _plain(row: Base) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}
