"""How far a survey invitation got, as intake tells it: one that never reached the customer
(intake could not send it, or withheld it because the customer withdrew consent) is
counted as undelivered — once, in the bucket where it was requested — so that the response
rate is over the invitations customers could answer. An answer that comes anyway takes it
back (``answers``): it reached the customer after all."""

from __future__ import annotations

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import SurveyDeliveryChanged
from switchboard.contracts.events.cases import DeliveryState
from switchboard.feedback.adapters.orm import SurveyRow
from switchboard.feedback.domain import kpis
from switchboard.feedback.service_layer.rollups import add_to_rollups
from switchboard.feedback.service_layer.unit_of_work import FeedbackUnitOfWork


async def record_survey_delivery(
    message: Envelope[SurveyDeliveryChanged], uow: FeedbackUnitOfWork
) -> None:
    event = message.data
    if event.state is not DeliveryState.FAILED:
        return
    survey = await uow.session.get(SurveyRow, event.survey_id, with_for_update=True)
    if survey is None or survey.undelivered_at is not None or survey.answered_at is not None:
        return  # not ours, counted already, or answered after all
    survey.undelivered_at = event.changed_at
    survey.undelivered_reason = event.reason
    await add_to_rollups(
        uow,
        at=survey.requested_at,
        region=survey.region,
        channel=survey.channel,
        agent_id=survey.agent_id,
        team=survey.team,
        counters=kpis.survey_undelivered_counters(),
    )
