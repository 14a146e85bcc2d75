"""The signature check every contact endpoint depends on: raw body (size-limited by the app's
middleware), adapter lookup, Standard Webhooks verification; only then is the body parsed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Request
from pydantic import BaseModel, ValidationError

from switchboard.intake.domain.channel_adapters import ADAPTER_ID, AdapterView
from switchboard.intake.domain.signatures import SignatureRejected, verify_signature
from switchboard.intake.entrypoints.dependencies import IntakeServiceDep
from switchboard.servicekit.http import Problem, answers

M = TypeVar("M", bound=BaseModel)
_CHALLENGE = {"WWW-Authenticate": 'Signature realm="switchboard-intake"'}


@dataclass(frozen=True)
class SignedBody:
    adapter: AdapterView
    body: bytes
    content_type: str
    webhook_id: str
    received_at: datetime


@answers(401, 413)
async def signed_body(
    request: Request,
    service: IntakeServiceDep,
    adapter_id: Annotated[str, Path(pattern=ADAPTER_ID)],
) -> SignedBody:
    body = await request.body()
    adapter = await service.deps.adapters.get(adapter_id)
    if adapter is None or not adapter.enabled:
        raise Problem(401, f"no enabled adapter {adapter_id!r}", headers=_CHALLENGE)
    now = datetime.now(UTC)
    try:
        signed = verify_signature(
            body=body, headers=request.headers, secrets_in_use=adapter.secrets_in_use(now), now=now
        )
    except SignatureRejected as rejected:
        raise Problem(
            401, rejected.reason, title="Signature rejected", headers=_CHALLENGE
        ) from rejected
    content_type = request.headers.get("content-type", "application/json").split(";")[0]
    return SignedBody(adapter, body, content_type.strip().lower(), signed.webhook_id, now)


SignedBodyDep = Annotated[SignedBody, Depends(signed_body)]


def parse_json_body(model: type[M], signed: SignedBody) -> M:
    """Validate the signed body; a malformed document is 400, an invalid field 422."""
    try:
        return model.model_validate_json(
            signed.body, context={"default_country": signed.adapter.default_country}
        )
    except ValidationError as error:
        raise invalid_body(error) from error


def invalid_body(error: ValidationError) -> Problem:
    errors = field_errors(error)
    if any(item["type"] == "json_invalid" for item in errors):
        return Problem(
            400, "the body is not a JSON document", title="Malformed body", errors=errors
        )
    first = errors[0]
    return Problem(
        422, f"{first['field']}: {first['message']}", title="Invalid request", errors=errors
    )


def field_errors(error: ValidationError) -> list[dict[str, Any]]:
    return [
        {
            "field": ".".join(str(part) for part in item["loc"]) or "body",
            "in": "body",
            "message": item["msg"],
            "type": item["type"],
        }
        for item in error.errors(include_url=False, include_input=False)
    ]
