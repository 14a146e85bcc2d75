"""Meta's own webhooks — WhatsApp Cloud API, Messenger, Instagram messaging — at one URL per
adapter: ``GET`` answers the subscription handshake (``hub.challenge`` when
``hub.verify_token`` is the adapter's secret), ``POST`` takes a notification exactly as Meta
posts it, verified by ``X-Hub-Signature-256`` with the app secret (compared in constant
time). Each customer message becomes a contact once, however often Meta retries (by its
``wamid``/``mid``); each status moves the reply it names; what intake does not handle is
answered 200 and logged, since Meta retries anything else and then disables the webhook."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import ValidationError

from switchboard.intake.domain import messenger_webhooks, whatsapp_webhooks
from switchboard.intake.domain.channel_adapters import ADAPTER_ID, AdapterView, Provider
from switchboard.intake.domain.meta_graph import (
    SIGNATURE_HEADER,
    challenge_answer,
    signature_matches,
)
from switchboard.intake.domain.meta_sends import MetaApp
from switchboard.intake.domain.meta_webhooks import (
    Ignored,
    Item,
    MetaContact,
    StatusReport,
    WatermarkReport,
)
from switchboard.intake.entrypoints.contacts_api import AcceptedContact
from switchboard.intake.entrypoints.dependencies import IntakeServiceDep
from switchboard.intake.entrypoints.signed_body import invalid_body
from switchboard.intake.service_layer.contacts.accept import IncomingContact
from switchboard.intake.service_layer.provider_statuses import report_statuses
from switchboard.servicekit.http import Problem, any_query
from switchboard.servicekit.telemetry import current_trace_headers

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/providers/meta", tags=["providers"])
OBJECTS = {
    "whatsapp_business_account": Provider.WHATSAPP,
    "page": Provider.MESSENGER,
    "instagram": Provider.INSTAGRAM,
}
"""A notification's ``object`` → the provider whose adapter takes it."""


@router.get(
    "/{adapter_id}",
    response_class=PlainTextResponse,
    responses={
        200: {"description": "The `hub.challenge`, as text"},
        403: {"description": "Unknown adapter, or not a subscription with its verify token"},
    },
)
@any_query  # Meta's hub.mode, hub.verify_token, hub.challenge
async def verify_subscription(
    adapter_id: Annotated[str, Path(pattern=ADAPTER_ID)],
    request: Request,
    service: IntakeServiceDep,
) -> PlainTextResponse:
    """Meta's handshake when the webhook is set up: the verify token is the secret shown
    when the adapter was registered (or rotated)."""
    adapter = await service.deps.adapters.get(adapter_id)
    answer = None
    if adapter is not None and adapter.enabled and adapter.provider in OBJECTS.values():
        tokens = adapter.secrets_in_use(datetime.now(UTC))
        answer = challenge_answer(request.query_params, tokens)
    if answer is None:  # one answer for all: it does not tell which adapter ids exist
        raise Problem(
            403, "not a subscription with this adapter's verify token", title="Not verified"
        )
    return PlainTextResponse(answer)


@router.post(
    "/{adapter_id}",
    responses={
        200: {"description": "Taken: the contacts made, statuses recorded, what was ignored"},
        401: {"description": "Unknown adapter, or a missing or wrong X-Hub-Signature-256"},
        400: {"description": "Not a JSON document"},
        422: {"description": "Not a notification of Meta's shape"},
    },
)
async def receive_notification(
    adapter_id: Annotated[str, Path(pattern=ADAPTER_ID)],
    request: Request,
    service: IntakeServiceDep,
) -> JSONResponse:
    """A WhatsApp, Messenger or Instagram notification (the app's webhook with this URL)."""
    deps, now = service.deps, datetime.now(UTC)
    body = await request.body()
    adapter = await deps.adapters.get(adapter_id)
    credential = adapter.credential if adapter is not None and adapter.enabled else None
    in_use = adapter.credentials_in_use(now) if adapter is not None else ()
    secrets = [c.app_secret.get_secret_value() for c in in_use if isinstance(c, MetaApp)]
    if (
        adapter is None
        or not isinstance(credential, MetaApp)
        or not signature_matches(request.headers.get(SIGNATURE_HEADER), body, secrets)
    ):
        raise Problem(
            401, f"missing or wrong {SIGNATURE_HEADER} for this adapter", title="Signature rejected"
        )
    items = _items(adapter, credential, body)
    contacts = [item for item in items if isinstance(item, MetaContact)]
    statuses = [item for item in items if isinstance(item, StatusReport | WatermarkReport)]
    for item in items:
        if isinstance(item, Ignored):
            log.info(
                "meta notification item ignored", extra={"adapter": adapter.id, "why": item.reason}
            )
    accepted = await asyncio.gather(
        *[
            deps.batcher.accept(
                IncomingContact(
                    adapter=adapter,
                    contact=contact,
                    webhook_id=contact.provider_message_id,
                    language=deps.detector.detect(contact.text),
                    received_at=now,
                    trace=current_trace_headers(),
                )
            )
            for contact in contacts
        ]
    )
    matched = await report_statuses(service, adapter_id=adapter.id, reports=statuses)
    return JSONResponse(
        {
            "contacts": [AcceptedContact(**each.__dict__).model_dump() for each in accepted],
            "statuses": {"reported": len(statuses), "matched": matched},
            "ignored": [item.reason for item in items if isinstance(item, Ignored)],
        }
    )


def _items(adapter: AdapterView, credential: MetaApp, body: bytes) -> list[Item]:
    """What the notification holds for this adapter; a 400 or 422 if it is none."""
    try:
        document: Any = json.loads(body)
    except ValueError:
        raise Problem(400, "the body is not a JSON document", title="Malformed body") from None
    kind = document.get("object") if isinstance(document, dict) else None
    provider = OBJECTS.get(kind) if isinstance(kind, str) else None
    if provider is None:
        raise Problem(422, "object: not a WhatsApp, Messenger or Instagram notification")
    if provider is not adapter.provider:
        return [Ignored(f"a {kind} notification at a {adapter.provider} adapter")]
    try:
        if provider is Provider.WHATSAPP:
            found = whatsapp_webhooks.items_of(
                whatsapp_webhooks.Notification.model_validate(document),
                phone_number_id=credential.sender_id,
            )
        else:
            found = messenger_webhooks.items_of(
                messenger_webhooks.Notification.model_validate(document),
                page_id=credential.sender_id if provider is Provider.MESSENGER else None,
            )
        return list(found)
    except ValidationError as error:
        raise invalid_body(error) from error
