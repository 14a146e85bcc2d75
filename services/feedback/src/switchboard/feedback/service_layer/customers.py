"""Intake merged two customer records: the survivor was surveyed when either was last (so
suppression counts both), and the merged one's cases and surveys are the survivor's."""

from __future__ import annotations

from sqlalchemy import update

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import CustomerMerged
from switchboard.feedback.adapters.orm import CaseRow, CustomerRow, SurveyRow
from switchboard.feedback.service_layer.unit_of_work import FeedbackUnitOfWork


async def merge_customers(message: Envelope[CustomerMerged], uow: FeedbackUnitOfWork) -> None:
    merged, session = message.data, uow.session
    old = await session.get(CustomerRow, merged.merged_id, with_for_update=True)
    if old is not None:
        survivor = await session.get(CustomerRow, merged.survivor_id, with_for_update=True)
        if survivor is None:
            survivor = CustomerRow(customer_id=merged.survivor_id)
            session.add(survivor)
        surveyed = [at for at in (survivor.last_surveyed_at, old.last_surveyed_at) if at]
        survivor.last_surveyed_at = max(surveyed) if surveyed else None
        await session.delete(old)
    for model in (CaseRow, SurveyRow):
        await session.execute(
            update(model)
            .where(model.customer_id == merged.merged_id)
            .values(customer_id=merged.survivor_id)
        )
