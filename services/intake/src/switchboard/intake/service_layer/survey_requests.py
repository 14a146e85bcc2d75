"""Feedback asked for a survey: intake sends the invitation through the same outbound path
as replies — the adapter of the customer's latest message, in the case's channel, in the
customer's language — and keeps it in the conversation with its delivery state."""

from __future__ import annotations

import logging

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import SurveyDeliveryChanged, SurveyRequested
from switchboard.contracts.events.cases import DeliveryState
from switchboard.intake.adapters.consent_history import consents_of
from switchboard.intake.adapters.orm import AdapterRow, CaseRow, ReplyRow
from switchboard.intake.domain.consents import Purpose
from switchboard.intake.domain.credentials import SendOrigin
from switchboard.intake.domain.replies import (
    TEXT_LIMITS,
    ReplyDelivery,
    addressing,
    email_message_id,
    header_id,
)
from switchboard.intake.domain.survey_invitations import invitation_for
from switchboard.intake.service_layer.replies import (
    latest_inbound,
    queue_for_adapter,
    sends_outbound,
    survey_delivery_changed,
)
from switchboard.intake.service_layer.unit_of_work import IntakeUnitOfWork

log = logging.getLogger(__name__)
SURVEY_SENDER = "feedback"
NO_SURVEY_CONSENT = "not sent: the customer withdrew their consent to surveys"


async def send_survey_request(message: Envelope[SurveyRequested], uow: IntakeUnitOfWork) -> None:
    """One invitation per survey; none on a channel that takes no written message (phone),
    and a failed one, visible in the conversation, when the customer withdrew their consent
    to surveys or the adapter has no outbound address — feedback is told of each that does
    not go (``SurveyDeliveryChanged`` failed), and of how far the others get."""
    request, session = message.data, uow.session
    if request.channel.value not in TEXT_LIMITS:
        await uow.publish(
            SurveyDeliveryChanged(
                case_id=request.case_id,
                customer_id=request.customer_id,
                region=request.region,
                channel=request.channel,
                survey_id=request.survey_id,
                state=DeliveryState.FAILED,
                changed_at=request.requested_at,
                reason=f"a {request.channel.value} case takes no written invitation",
            )
        )
        return
    if await session.get(ReplyRow, request.survey_id) is not None:
        return
    case = await session.get(CaseRow, request.case_id)
    if case is None:
        log.warning("survey %s for unknown case %s", request.survey_id, request.case_id)
        return
    latest = await latest_inbound(session, case)
    adapter = await session.get(AdapterRow, latest.adapter_id)
    language, invitation = invitation_for(request.language)
    text = invitation.text.format(link=request.link)
    is_email = case.channel == "email"
    message_id = email_message_id(request.survey_id, uow.deps.mail_domain) if is_email else None
    now = request.requested_at
    row = ReplyRow(
        id=request.survey_id,
        case_id=case.id,
        kind="survey",
        agent_id=SURVEY_SENDER,
        adapter_id=latest.adapter_id,
        channel=case.channel,
        posted_at=now,
        text=text,
        subject=invitation.subject if is_email else None,
        html=None,
        attachments={"items": []},
        thread_ref=f"email:{message_id}" if message_id else None,
        delivery=ReplyDelivery.QUEUED.value,
        delivery_changed_at=now,
    )
    session.add(row)
    withheld: str | None = None
    if (await consents_of(session, case.customer_id)).withdrawn(Purpose.SURVEYS):
        withheld = NO_SURVEY_CONSENT
        log.info("survey %s not sent: its customer withdrew consent", request.survey_id)
    elif adapter is None or not sends_outbound(adapter):
        withheld = f"adapter {latest.adapter_id!r} has no outbound address"
    if withheld is not None:
        row.delivery, row.delivery_error = ReplyDelivery.FAILED.value, withheld
        await uow.publish(
            survey_delivery_changed(
                case, request.survey_id, ReplyDelivery.FAILED, at=now, reason=withheld
            )
        )
        return
    assert adapter is not None  # it sends outbound
    document = {
        "kind": "survey",
        "survey_id": request.survey_id,
        "case_id": case.id,
        "channel": case.channel,
        "posted_at": now.isoformat(),
        "language": language,
        "text": text,
        "link": str(request.link),
        "questions": [question.value for question in request.questions],
        "expires_at": request.expires_at.isoformat(),
        "attachments": [],
        **addressing(case.channel, latest.request),
    }
    if is_email:
        assert message_id is not None
        document |= {"subject": invitation.subject, "message_id": header_id(message_id)}
    await queue_for_adapter(
        session,
        box=uow.deps.secret_box,
        origin=SendOrigin(adapter.id, uow.deps.public_base_url),
        adapter=adapter,
        case=case,
        message_id=request.survey_id,
        document=document,
        at=now,
    )
