"""Inbound-mail services' own webhooks: SendGrid Inbound Parse (multipart/form-data) and
Postmark's inbound webhook (JSON), both authenticated by HTTP Basic credentials in the URL
the operator configures (user: the adapter's id, password: its secret, the previous one too
during a rotation's grace period); Mailgun's routes (form data) verified by Mailgun's
signature under the adapter's webhook signing key.

Each message takes the same path as raw e-mail: an auto-reply or bounce is answered 200 and
makes no contact (a raw variant's bounce of a reply intake sent fails that reply); a
contact is answered 200 once committed, and a retried delivery (the same Message-ID,
Postmark's MessageID, the same form) gets the first answer. A payload that can never become
a contact gets the answer that stops the provider's retries (SendGrid: a 4xx; Postmark: 403;
Mailgun: 406); a wrong credential a 401, which Postmark and Mailgun retry, so mail sent
before a fix still arrives."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from switchboard.intake.domain.channel_adapters import ADAPTER_ID, AdapterView
from switchboard.intake.domain.contacts import EmailContact
from switchboard.intake.domain.email_automated import AutomatedMail
from switchboard.intake.domain.email_parsing import EmailParseError
from switchboard.intake.domain.form_data import Form, FormDataError, read_form
from switchboard.intake.domain.inbound_mailgun import (
    SIGNATURE_FIELDS,
    MailgunRoutes,
    SeenTokens,
    SignatureRejected,
    mailgun_email,
    verify_mailgun_signature,
)
from switchboard.intake.domain.inbound_postmark import InboundMessage, postmark_email
from switchboard.intake.domain.inbound_sendgrid import sendgrid_email
from switchboard.intake.domain.values import Channel
from switchboard.intake.entrypoints.basic_auth import basic_credentials_match
from switchboard.intake.entrypoints.contacts_api import AcceptedContact, IgnoredEmail
from switchboard.intake.entrypoints.dependencies import IntakeServiceDep
from switchboard.intake.entrypoints.signed_body import field_errors
from switchboard.intake.service_layer.contacts.accept import IncomingContact
from switchboard.intake.service_layer.returned_replies import automated_mail_taken
from switchboard.servicekit.http import Problem
from switchboard.servicekit.telemetry import current_trace_headers

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/providers", tags=["providers"])
AdapterId = Annotated[str, Path(pattern=ADAPTER_ID)]
_BASIC = {"WWW-Authenticate": 'Basic realm="switchboard-intake", charset="UTF-8"'}
_SEEN_TOKENS = SeenTokens()
IN_LOOP_BYTES = 256 * 1024
T = TypeVar("T")
NOT_EMAIL = (FormDataError, EmailParseError, ValidationError, UnicodeError)
_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "Taken: the contact's ids, or an auto-reply or bounce ignored"},
    401: {"description": "Unknown adapter, or missing or wrong credentials"},
    413: {"description": "Body over the service's inbound_mail_max_bytes"},
}


@router.post(
    "/sendgrid/{adapter_id}",
    responses=_ANSWERS | {422: {"description": "Not an Inbound Parse form (not retried)"}},
)
async def receive_sendgrid(
    adapter_id: AdapterId, request: Request, service: IntakeServiceDep
) -> JSONResponse:
    """SendGrid Inbound Parse's POST, default or raw (``https://<adapter id>:<secret>@…``)."""
    adapter = await _basic_authenticated(service, adapter_id, request)
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    try:
        form = await _parsed(lambda: read_form(body, content_type), len(body))
        found = await _parsed(lambda: sendgrid_email(form), len(body))
    except NOT_EMAIL as error:
        raise _not_email("sendgrid", adapter, error, 422) from error
    return await _take(service, adapter, found, f"sendgrid:{form.digest()}")


@router.post(
    "/postmark/{adapter_id}",
    responses=_ANSWERS | {403: {"description": "Not an inbound webhook (not retried)"}},
)
async def receive_postmark(
    adapter_id: AdapterId, request: Request, service: IntakeServiceDep
) -> JSONResponse:
    """Postmark's inbound webhook (``https://<adapter id>:<secret>@…``)."""
    adapter = await _basic_authenticated(service, adapter_id, request)
    body = await request.body()
    try:
        message = await _parsed(lambda: InboundMessage.model_validate_json(body), len(body))
        found = await _parsed(lambda: postmark_email(message), len(body))
    except NOT_EMAIL as error:
        raise _not_email("postmark", adapter, error, 403) from error
    delivery = message.MessageID or hashlib.sha256(body).hexdigest()
    return await _take(service, adapter, found, f"postmark:{delivery[:200]}")


@router.post(
    "/mailgun/{adapter_id}",
    responses=_ANSWERS | {406: {"description": "Not a route's message (not retried)"}},
)
@router.post("/mailgun/{adapter_id}/mime", include_in_schema=False)
async def receive_mailgun(
    adapter_id: AdapterId, request: Request, service: IntakeServiceDep
) -> JSONResponse:
    """A Mailgun route's ``forward()`` or ``store(notify=…)`` POST; ``…/mime`` for raw MIME."""
    now = datetime.now(UTC)
    adapter = await service.deps.adapters.get(adapter_id)
    try:
        if (
            adapter is None
            or not _usable(adapter)
            or not isinstance(adapter.credential, MailgunRoutes)
        ):
            raise SignatureRejected("no enabled Mailgun adapter by this id")
        keys = [
            c.signing_key.get_secret_value()
            for c in adapter.credentials_in_use(now)
            if isinstance(c, MailgunRoutes)
        ]
        body, content_type = await request.body(), request.headers.get("content-type", "")
        try:
            form = await _parsed(lambda: read_form(body, content_type), len(body))
        except FormDataError as error:
            raise SignatureRejected("no form with timestamp, token and signature") from error
        token = _verified_token(form, keys, now)
        digest = form.digest(leaving_out=SIGNATURE_FIELDS)
        if not _SEEN_TOKENS.admit(token, digest, now):
            raise SignatureRejected("the token was used for another message")
    except SignatureRejected as rejected:
        # One answer for all, so that it does not tell which adapters exist; the log says why.
        log.info("mailgun post to %s refused: %s", adapter_id, rejected.reason)
        raise Problem(
            401,
            "missing, stale, reused or wrong Mailgun signature for this adapter",
            title="Signature rejected",
        ) from rejected
    try:
        found = await _parsed(lambda: mailgun_email(form), len(body))
    except NOT_EMAIL as error:
        raise _not_email("mailgun", adapter, error, 406) from error
    return await _take(service, adapter, found, f"mailgun:{digest}")


def _verified_token(form: Form, signing_keys: list[str], now: datetime) -> str:
    """The token, once one of the signing keys in use (the current one, and the replaced
    one during a rotation's grace) signed the request; else why not."""
    rejected = SignatureRejected("no signing key")
    for key in signing_keys:
        try:
            return verify_mailgun_signature(form, signing_key=key, now=now)
        except SignatureRejected as error:
            rejected = error
    raise rejected


async def _parsed(parse: Callable[[], T], size: int) -> T:
    """A large message is parsed in a thread, so the event loop serves others meanwhile."""
    return await asyncio.to_thread(parse) if size > IN_LOOP_BYTES else parse()


def _usable(adapter: AdapterView) -> bool:
    """An enabled e-mail adapter (any: one that replies through an SMTP relay too)."""
    return adapter.enabled and adapter.channel is Channel.EMAIL


async def _basic_authenticated(
    service: IntakeServiceDep, adapter_id: str, request: Request
) -> AdapterView:
    adapter = await service.deps.adapters.get(adapter_id)
    authorization = request.headers.get("authorization")
    if (
        adapter is None
        or not _usable(adapter)
        or not basic_credentials_match(
            authorization, user=adapter.id, passwords=adapter.secrets_in_use(datetime.now(UTC))
        )
    ):  # one answer for all: it does not tell which adapter ids exist
        raise Problem(
            401,
            "missing or wrong Basic credentials (user: the adapter id, password: its secret)",
            title="Credentials rejected",
            headers=_BASIC,
        )
    return adapter


def _not_email(provider: str, adapter: AdapterView, error: Exception, status: int) -> Problem:
    """What stops the provider's retries: the same payload would fail the same way."""
    if isinstance(error, ValidationError):
        errors = field_errors(error)
    else:
        where = error.field if isinstance(error, EmailParseError) else "body"
        errors = [{"field": where, "in": "body", "message": str(error), "type": "email_unreadable"}]
    log.warning(
        "%s delivery to adapter %s is no e-mail intake can read (%s); answered %d",
        provider,
        adapter.id,
        ", ".join(str(each["field"]) for each in errors),
        status,
    )
    first = errors[0]
    return Problem(
        status,
        f"{first['field']}: {first['message']}",
        title="Not an e-mail intake can read",
        errors=errors,
    )


async def _take(
    service: IntakeServiceDep,
    adapter: AdapterView,
    found: EmailContact | AutomatedMail,
    webhook_id: str,
) -> JSONResponse:
    deps, now = service.deps, datetime.now(UTC)
    if isinstance(found, AutomatedMail):
        failed = await automated_mail_taken(deps, found, at=now)
        outcome = f"ignored_{found.kind.value}"
        log.info(
            "e-mail %s via adapter %s ignored as %s: %s",
            found.message_id,
            adapter.id,
            found.kind.value,
            found.reason,
            extra={"outcome": outcome, "webhook_id": webhook_id},
        )
        ignored = IgnoredEmail(
            outcome=outcome,
            reason=found.reason,
            message_id=found.message_id,
            failed_reply_id=failed,
        )
        return JSONResponse(ignored.model_dump())
    accepted = await deps.batcher.accept(
        IncomingContact(
            adapter=adapter,
            contact=found,
            webhook_id=webhook_id,
            language=deps.detector.detect(found.text),
            received_at=now,
            trace=current_trace_headers(),
        )
    )
    headers = {"Idempotent-Replayed": "true"} if accepted.duplicate else None
    return JSONResponse(AcceptedContact(**accepted.__dict__).model_dump(), headers=headers)
