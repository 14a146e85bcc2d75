"""Telegram's own webhook: a bot's ``Update`` exactly as Telegram posts it, verified by the
secret token the bot's ``setWebhook`` was given (``X-Telegram-Bot-Api-Secret-Token``,
compared in constant time); a message becomes a contact once, however often Telegram
retries the update (deduplicated by ``update_id``); an update intake does not handle is
answered 200 and ignored, so Telegram does not retry it — so is an update intake cannot
read (Telegram delivers a bot's updates in order and retries a refused one, which would
hold every later message back); a body that is no update at all is refused."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from switchboard.intake.domain.channel_adapters import ADAPTER_ID, Provider
from switchboard.intake.domain.telegram_sends import SECRET_TOKEN_HEADER, secret_token_matches
from switchboard.intake.domain.telegram_updates import Ignored, Update, contact_of
from switchboard.intake.entrypoints.contacts_api import AcceptedContact
from switchboard.intake.entrypoints.dependencies import IntakeServiceDep
from switchboard.intake.entrypoints.signed_body import invalid_body
from switchboard.intake.service_layer.contacts.accept import IncomingContact
from switchboard.servicekit.http import Problem
from switchboard.servicekit.telemetry import current_trace_headers

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/providers/telegram", tags=["providers"])


@router.post(
    "/{adapter_id}",
    responses={
        200: {"description": "Taken (the contact's ids), or ignored (`ignored`: why)"},
        401: {"description": "Unknown adapter, or a missing or wrong secret token"},
        400: {"description": "Not JSON"},
        422: {"description": "No Bot API Update (no update_id)"},
    },
)
async def receive_update(
    adapter_id: Annotated[str, Path(pattern=ADAPTER_ID)],
    request: Request,
    service: IntakeServiceDep,
) -> JSONResponse:
    """A Telegram bot's update (``setWebhook`` with this URL and the adapter's secret)."""
    deps, now = service.deps, datetime.now(UTC)
    adapter = await deps.adapters.get(adapter_id)
    if (
        adapter is None
        or not adapter.enabled
        or adapter.provider is not Provider.TELEGRAM
        or not secret_token_matches(
            request.headers.get(SECRET_TOKEN_HEADER), adapter.secrets_in_use(now)
        )
    ):  # one answer for all: it does not tell which adapter ids exist
        raise Problem(
            401,
            f"missing or wrong {SECRET_TOKEN_HEADER} for this adapter",
            title="Secret token rejected",
        )
    body = await request.body()
    try:
        update = Update.model_validate_json(body)
        found = contact_of(update)
    except ValidationError as error:
        update_id = _update_id(body)
        if update_id is None:
            raise invalid_body(error) from error
        problem = invalid_body(error)
        log.warning(
            "telegram update unreadable, ignored",
            extra={"adapter": adapter.id, "update_id": update_id, "why": problem.detail},
        )
        return JSONResponse({"ignored": f"unreadable update: {problem.detail}"})
    if isinstance(found, Ignored):
        log.info("telegram update ignored", extra={"adapter": adapter.id, "why": found.reason})
        return JSONResponse({"ignored": found.reason})
    accepted = await deps.batcher.accept(
        IncomingContact(
            adapter=adapter,
            contact=found,
            webhook_id=f"update:{update.update_id}",
            language=deps.detector.detect(found.text),
            received_at=now,
            trace=current_trace_headers(),
        )
    )
    headers = {"Idempotent-Replayed": "true"} if accepted.duplicate else None
    return JSONResponse(AcceptedContact(**accepted.__dict__).model_dump(), headers=headers)


def _update_id(body: bytes) -> int | None:
    """The update's id, when the body is an update at all."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    found = document.get("update_id") if isinstance(document, dict) else None
    return found if isinstance(found, int) and not isinstance(found, bool) else None
