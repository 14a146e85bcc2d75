"""Contact endpoints, one per channel: signed by the adapter, answered 202 after commit."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from switchboard.intake.domain.contacts import (
    AnyContact,
    ChatContact,
    EmailContact,
    PhoneContact,
    SocialContact,
)
from switchboard.intake.domain.email_automated import AutomatedMail
from switchboard.intake.domain.email_parsing import EmailParseError, read_email
from switchboard.intake.domain.values import Channel
from switchboard.intake.entrypoints.dependencies import IntakeServiceDep
from switchboard.intake.entrypoints.signed_body import (
    SignedBody,
    SignedBodyDep,
    invalid_body,
    parse_json_body,
)
from switchboard.intake.service_layer.contacts.accept import IncomingContact
from switchboard.intake.service_layer.returned_replies import automated_mail_taken
from switchboard.servicekit.http import Problem
from switchboard.servicekit.telemetry import current_trace_headers

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/adapters/{adapter_id}/contacts", tags=["contacts"])
RAW_EMAIL_TYPES = {"message/rfc822", "message/global"}


class AcceptedContact(BaseModel):
    case_id: str
    contact_id: str
    customer_id: str
    outcome: str
    duplicate: bool


class IgnoredEmail(BaseModel):
    """An auto-reply, bounce or delivery report: taken (the sender must not retry), but it
    opens, joins and reopens no case, so no loop with an auto-responder can start."""

    outcome: str
    """``ignored_auto_reply`` or ``ignored_bounce``."""
    reason: str
    message_id: str | None
    failed_reply_id: str | None = None
    """A bounce of a reply or survey request intake sent: the one it failed."""


def _inline_definitions(node: Any, definitions: dict[str, Any]) -> Any:
    """Each ``#/$defs/...`` reference replaced by its definition: OpenAPI tools resolve a
    ``$ref`` from the document's root, where pydantic's ``$defs`` are not."""
    if isinstance(node, list):
        return [_inline_definitions(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    if isinstance(ref := node.get("$ref"), str) and ref.startswith("#/$defs/"):
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        node = definitions[ref.removeprefix("#/$defs/")] | siblings
    return {key: _inline_definitions(value, definitions) for key, value in node.items()}


def _documented(model: type[BaseModel], *extra_types: str) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True)
    definitions = schema.pop("$defs", {})
    content = {"application/json": {"schema": _inline_definitions(schema, definitions)}}
    content |= {media: {"schema": {"type": "string", "format": "binary"}} for media in extra_types}
    return {"requestBody": {"required": True, "content": content}}


_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {
        "model": AcceptedContact | IgnoredEmail,
        "description": "Committed, events follow via the outbox; or an auto-reply ignored",
    },
    400: {"description": "Malformed body (problem+json)"},
    401: {"description": "Missing, wrong or stale signature (problem+json, with the reason)"},
    403: {"description": "The adapter is registered for another channel"},
    413: {"description": "Body over the service's max_body_bytes (problem+json)"},
    422: {"description": "Invalid field, or a raw message that is not e-mail; `errors` says why"},
}


def _require_channel(signed: SignedBody, channel: Channel) -> None:
    if signed.adapter.channel is not channel:
        raise Problem(
            403, f"adapter {signed.adapter.id!r} posts {signed.adapter.channel.value} contacts"
        )


async def _accept_json(
    service: IntakeServiceDep, signed: SignedBody, model: type[AnyContact]
) -> JSONResponse:
    _require_channel(signed, model.channel)
    return await _accept(service, signed, parse_json_body(model, signed))


async def _accept(
    service: IntakeServiceDep, signed: SignedBody, contact: AnyContact
) -> JSONResponse:
    deps = service.deps
    accepted = await deps.batcher.accept(
        IncomingContact(
            adapter=signed.adapter,
            contact=contact,
            webhook_id=signed.webhook_id,
            language=deps.detector.detect(contact.text),
            received_at=signed.received_at,
            trace=current_trace_headers(),
        )
    )
    body = AcceptedContact(**accepted.__dict__)
    headers = {"Idempotent-Replayed": "true"} if accepted.duplicate else None
    return JSONResponse(body.model_dump(), status_code=202, headers=headers)


@router.post(
    "/phone", status_code=202, responses=_RESPONSES, openapi_extra=_documented(PhoneContact)
)
async def post_phone_contact(service: IntakeServiceDep, signed: SignedBodyDep) -> JSONResponse:
    """A call started, was missed, left a voicemail, or a callback was requested."""
    return await _accept_json(service, signed, PhoneContact)


@router.post(
    "/email",
    status_code=202,
    responses=_RESPONSES,
    openapi_extra=_documented(EmailContact, "message/rfc822"),
)
async def post_email_contact(service: IntakeServiceDep, signed: SignedBodyDep) -> JSONResponse:
    """An e-mail as JSON fields, or the raw RFC 5322 message (``message/rfc822``)."""
    if signed.content_type not in RAW_EMAIL_TYPES:
        return await _accept_json(service, signed, EmailContact)
    _require_channel(signed, EmailContact.channel)
    try:
        inbound = read_email(signed.body)
    except EmailParseError as error:
        raise Problem(
            422,
            str(error),
            title="Invalid e-mail message",
            errors=[
                {
                    "field": error.field,
                    "in": "body",
                    "message": error.reason,
                    "type": "email_unreadable",
                }
            ],
        ) from error
    except ValidationError as error:
        raise invalid_body(error) from error
    if isinstance(inbound, AutomatedMail):
        return await _ignored(service, signed, inbound)
    return await _accept(service, signed, inbound)


async def _ignored(
    service: IntakeServiceDep, signed: SignedBody, automated: AutomatedMail
) -> JSONResponse:
    failed = await automated_mail_taken(service.deps, automated, at=signed.received_at)
    outcome = f"ignored_{automated.kind.value}"
    log.info(
        "e-mail %s via adapter %s ignored as %s: %s",
        automated.message_id,
        signed.adapter.id,
        automated.kind.value,
        automated.reason,
        extra={"outcome": outcome, "webhook_id": signed.webhook_id},
    )
    body = IgnoredEmail(
        outcome=outcome,
        reason=automated.reason,
        message_id=automated.message_id,
        failed_reply_id=failed,
    )
    return JSONResponse(body.model_dump(), status_code=202)


@router.post("/chat", status_code=202, responses=_RESPONSES, openapi_extra=_documented(ChatContact))
async def post_chat_contact(service: IntakeServiceDep, signed: SignedBodyDep) -> JSONResponse:
    """A visitor's message in a chat session."""
    return await _accept_json(service, signed, ChatContact)


@router.post(
    "/social", status_code=202, responses=_RESPONSES, openapi_extra=_documented(SocialContact)
)
async def post_social_contact(service: IntakeServiceDep, signed: SignedBodyDep) -> JSONResponse:
    """A public post or private message on a social platform."""
    return await _accept_json(service, signed, SocialContact)
