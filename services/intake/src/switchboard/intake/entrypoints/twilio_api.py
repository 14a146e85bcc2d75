"""Twilio's own webhooks, exactly as Twilio posts them (form-encoded; a JSON body signed by its
``bodySHA256`` too), verified by ``X-Twilio-Signature`` over the URL Twilio requested — the
``public_base_url`` setting's, else the request's — and answered as Twilio expects:

- ``/messages``: an SMS, MMS or WhatsApp message becomes a contact once, however often
  Twilio retries it (deduplicated by ``MessageSid``); answered with an empty TwiML
  ``<Response/>``, so Twilio sends nothing itself.
- ``/messages/status``: a reply's status callback moves its delivery state.
- ``/voice``: an incoming call is answered with a greeting and a ``<Record>`` whose action
  is ``/voice/status``.
- ``/voice/status``: a call's status callback (a never-answered call is a missed call) or
  the recording (a voicemail).

One adapter takes a Twilio number's messages and calls. Unknown adapters and wrong
signatures get the same 401; a malformed body is a 4xx problem; what intake does not handle
is answered 2xx and logged (Twilio treats anything else as an error)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from pydantic import ValidationError

from switchboard.intake.domain.channel_adapters import ADAPTER_ID, AdapterView, Provider
from switchboard.intake.domain.contacts import AnyContact
from switchboard.intake.domain.replies import ReplyDelivery
from switchboard.intake.domain.twilio_credentials import TwilioAccount
from switchboard.intake.domain.twilio_sends import (
    TWIML,
    empty_twiml,
    failure_reason,
    goodbye_twiml,
    reported_delivery,
    voicemail_twiml,
)
from switchboard.intake.domain.twilio_signatures import (
    SIGNATURE_HEADER,
    form_signature_matches,
    json_signature_matches,
)
from switchboard.intake.domain.twilio_webhooks import (
    CallReport,
    Ignored,
    InboundMessage,
    MalformedForm,
    MessageStatus,
    call_contact,
    first_values,
    form_parameters,
    message_contact,
)
from switchboard.intake.entrypoints.dependencies import IntakeServiceDep
from switchboard.intake.entrypoints.signed_body import invalid_body
from switchboard.intake.service_layer.contacts.accept import IncomingContact
from switchboard.intake.service_layer.replies import report_provider_delivery
from switchboard.servicekit.http import Problem, takes_any_query
from switchboard.servicekit.telemetry import current_trace_headers

log = logging.getLogger(__name__)
PREFIX = "/v1/providers/twilio"
# the signature covers the whole URL the account configured, query and all (bodySHA256)
router = APIRouter(prefix=PREFIX, tags=["providers"], dependencies=[Depends(takes_any_query)])
AdapterId = Annotated[str, Path(pattern=ADAPTER_ID)]
_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "TwiML (taken, or ignored and logged)", "content": {TWIML: {}}},
    400: {"description": "Not a form (or JSON) body"},
    401: {"description": "Unknown adapter, or a missing or wrong X-Twilio-Signature"},
    403: {"description": "Signed for another Twilio account than the adapter's"},
    422: {"description": "A parameter Twilio always sends is missing or malformed"},
}

_STATUS_ANSWERS: dict[int | str, dict[str, Any]] = {
    204: {"description": "Taken, or ignored and logged"},
    **{code: _ANSWERS[code] for code in (400, 401, 403, 422)},
}


@dataclass(frozen=True)
class Verified:
    adapter: AdapterView
    credential: TwilioAccount
    values: dict[str, str]
    """Each parameter's first value."""
    parameters: dict[str, list[str]]
    url: str
    """The URL Twilio signed."""
    received_at: datetime


async def verified(request: Request, service: IntakeServiceDep, adapter_id: str) -> Verified:
    """The request's parameters, once its signature is the adapter's Twilio account's."""
    body = await request.body()
    is_json = request.headers.get("content-type", "").split(";")[0].strip().lower() == (
        "application/json"
    )
    parameters = _json_parameters(body) if is_json else _form_parameters(body)
    url = signed_url(request, service.settings.public_base_url)
    adapter = await service.deps.adapters.get(adapter_id)
    given = request.headers.get(SIGNATURE_HEADER)
    now = datetime.now(UTC)
    credential = next(
        (
            account
            for account in twilio_credentials(adapter, now)
            if (
                json_signature_matches(
                    given, auth_tokens=[account.auth_token.get_secret_value()], url=url, body=body
                )
                if is_json
                else form_signature_matches(
                    given,
                    auth_tokens=[account.auth_token.get_secret_value()],
                    url=url,
                    parameters=parameters,
                )
            )
        ),
        None,
    )
    if adapter is None or credential is None:
        # one answer for all: it does not tell which adapter ids exist
        raise Problem(
            401,
            f"missing or wrong {SIGNATURE_HEADER} for this adapter and URL",
            title="Signature rejected",
        )
    values = first_values(parameters)
    if values.get("AccountSid") != credential.account_sid:
        raise Problem(403, "signed for another Twilio account than this adapter's")
    return Verified(adapter, credential, values, parameters, url, now)


def twilio_credentials(adapter: AdapterView | None, now: datetime) -> list[TwilioAccount]:
    """An enabled Twilio adapter's accounts whose signatures count now: the current one, and
    the one it replaced during the rotation's grace period; none for any other adapter."""
    if adapter is None or not adapter.enabled or adapter.provider is not Provider.TWILIO:
        return []
    return [c for c in adapter.credentials_in_use(now) if isinstance(c, TwilioAccount)]


def signed_url(request: Request, public_base_url: str | None) -> str:
    """The URL Twilio requested: intake's public base with the request's path and query as
    received, or the request's own URL when no public base is set."""
    if not public_base_url:
        return str(request.url)
    query = request.url.query
    return public_base_url.rstrip("/") + request.url.path + (f"?{query}" if query else "")


def _form_parameters(body: bytes) -> dict[str, list[str]]:
    try:
        return form_parameters(body)
    except MalformedForm as error:
        raise Problem(400, str(error), title="Malformed body") from error


def _json_parameters(body: bytes) -> dict[str, list[str]]:
    """A JSON object's top-level values as parameters (strings as they are, others as JSON)."""
    try:
        document = json.loads(body)
        json.dumps(document, ensure_ascii=False).encode()  # no lone surrogate escapes
    except (ValueError, RecursionError) as error:
        raise Problem(400, "the body is not a JSON document", title="Malformed body") from error
    if not isinstance(document, dict):
        raise Problem(400, "the body is not a JSON object", title="Malformed body")
    return {
        str(name): [value if isinstance(value, str) else json.dumps(value)]
        for name, value in document.items()
        if value is not None
    }


def twiml(document: str, *, replayed: bool = False) -> Response:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return Response(document, media_type=TWIML, headers=headers)


async def _accept(
    service: IntakeServiceDep, signed: Verified, contact: AnyContact, webhook_id: str
) -> bool:
    """Accept the contact (committed before the answer); whether it was a retry's."""
    deps = service.deps
    accepted = await deps.batcher.accept(
        IncomingContact(
            adapter=signed.adapter,
            contact=contact,
            webhook_id=webhook_id,
            language=deps.detector.detect(contact.text),
            received_at=signed.received_at,
            trace=current_trace_headers(),
        )
    )
    return accepted.duplicate


def _ignored(signed: Verified, what: str, found: Ignored) -> None:
    level = logging.WARNING if found.reason.startswith("unreadable") else logging.INFO
    log.log(
        level, f"twilio {what} ignored", extra={"adapter": signed.adapter.id, "why": found.reason}
    )


@router.post("/{adapter_id}/messages", responses=_ANSWERS)
async def receive_message(
    adapter_id: AdapterId, request: Request, service: IntakeServiceDep
) -> Response:
    """An incoming SMS, MMS or WhatsApp message (the number's "A message comes in" webhook)."""
    signed = await verified(request, service, adapter_id)
    try:
        message = InboundMessage.model_validate(signed.values)
    except ValidationError as error:
        raise invalid_body(error) from error
    try:
        found = message_contact(
            message, signed.parameters, default_country=signed.adapter.default_country
        )
    except ValidationError as error:  # Twilio's own message: ignored, not refused
        found = Ignored(f"unreadable message: {invalid_body(error).detail}")
    if isinstance(found, Ignored):
        _ignored(signed, "message", found)
        return twiml(empty_twiml())
    duplicate = await _accept(service, signed, found, f"message:{message.message_sid}")
    return twiml(empty_twiml(), replayed=duplicate)


@router.post(
    "/{adapter_id}/messages/status",
    status_code=204,
    responses=_STATUS_ANSWERS,
)
async def receive_message_status(
    adapter_id: AdapterId, request: Request, service: IntakeServiceDep
) -> Response:
    """A status callback of a reply sent through the Messages API."""
    signed = await verified(request, service, adapter_id)
    try:
        status = MessageStatus.model_validate(signed.values)
    except ValidationError as error:
        raise invalid_body(error) from error
    state = reported_delivery(status.status)
    if state is None:
        why = f"status {status.status!r} says nothing of a reply"
        _ignored(signed, "message status", Ignored(why))
        return Response(status_code=204)
    failed = state is ReplyDelivery.FAILED
    reason = failure_reason(status.status, status.error_code) if failed else None
    async with service.transaction() as uow:
        moved = await report_provider_delivery(
            uow=uow,
            adapter_id=signed.adapter.id,
            provider_message_id=status.message_sid,
            state=state,
            at=signed.received_at,
            reason=reason,
        )
    if moved is None:
        why = f"{status.message_sid} is no reply of this adapter"
        _ignored(signed, "message status", Ignored(why))
    return Response(status_code=204)


@router.post("/{adapter_id}/voice", responses=_ANSWERS)
async def answer_call(
    adapter_id: AdapterId, request: Request, service: IntakeServiceDep
) -> Response:
    """An incoming call (the number's "A call comes in" webhook): the caller hears a greeting
    and may leave a message, which comes back to ``/voice/status``."""
    signed = await verified(request, service, adapter_id)
    try:
        CallReport.model_validate(signed.values)
    except ValidationError as error:
        raise invalid_body(error) from error
    return twiml(voicemail_twiml(signed.url.split("?", 1)[0].rstrip("/") + "/status"))


@router.post("/{adapter_id}/voice/status", responses=_ANSWERS)
async def receive_call_status(
    adapter_id: AdapterId, request: Request, service: IntakeServiceDep
) -> Response:
    """A call's status callback (the number's "Call status changes" webhook) or the recording
    our ``<Record>`` made."""
    signed = await verified(request, service, adapter_id)
    try:
        call = CallReport.model_validate(signed.values)
    except ValidationError as error:
        raise invalid_body(error) from error
    answer = goodbye_twiml() if call.recording_url else empty_twiml()
    try:
        found = call_contact(call, default_country=signed.adapter.default_country)
    except ValidationError as error:
        found = Ignored(f"unreadable call report: {invalid_body(error).detail}")
    if isinstance(found, Ignored):
        _ignored(signed, "call report", found)
        return twiml(answer)
    duplicate = await _accept(service, signed, found, f"call:{call.call_sid}:{found.event.value}")
    return twiml(answer, replayed=duplicate)
