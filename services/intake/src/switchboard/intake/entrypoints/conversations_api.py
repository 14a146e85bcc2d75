"""A case's conversation: every message in order, full text, for the agent who holds the
case, coordinators of its region and admins; the holding agent's replies."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import TypeAdapter

from switchboard.intake.domain.conversation import Message
from switchboard.intake.domain.idempotency_keys import BadIdempotencyKey, idempotency_key
from switchboard.intake.domain.replies import ReplyRefused, ReplyRequest
from switchboard.intake.entrypoints.dependencies import SessionDep, UnitOfWorkDep
from switchboard.intake.service_layer import conversations, replies
from switchboard.intake.service_layer.conversations import NotAllowed, Position, UnknownCase
from switchboard.intake.service_layer.replies import KeyReused, NoOutbound
from switchboard.servicekit.http import Problem, problems
from switchboard.servicekit.service.dependencies import PrincipalDep

router = APIRouter(prefix="/v1/cases", tags=["conversations"])
CASE_ID = r"^[A-Za-z0-9._:-]+$"
CURSOR = r"^[A-Za-z0-9_-]+={0,2}$"
MESSAGES = TypeAdapter(list[Message])
"""Messages as JSON values in one call into pydantic-core (``dataclasses.asdict`` copied
each message field by field: a sixth of a page read's CPU)."""
IDEMPOTENCY_KEY = r"^[\x20-\x7e]+$"  # an sf-string or the bare text: idempotency_keys


@router.get(
    "/{case_id}/messages", responses=problems(reasons={400: "after= is not a cursor this API gave"})
)
async def case_messages(
    case_id: Annotated[str, Path(min_length=1, max_length=64, pattern=CASE_ID)],
    session: SessionDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: Annotated[str | None, Query(max_length=400, pattern=CURSOR)] = None,
) -> dict[str, Any]:
    """The case's messages, oldest first, ``limit`` at a time; ``next`` is the cursor of the
    following page (``after=``), null on the last. An e-mail's HTML comes sanitised."""
    try:
        page = await conversations.read_conversation(
            session, principal, case_id, after=_position(after), limit=limit
        )
    except UnknownCase as error:
        raise Problem(404, f"no case {case_id!r}") from error
    except NotAllowed as error:
        raise Problem(
            403, "only the agent holding the case, its region's coordinators and admins"
        ) from error
    case = page.case
    return {
        "case_id": case.id,
        "customer_id": case.customer_id,
        "channel": case.channel,
        "region": case.region,
        "status": case.status,
        "subject": case.subject,
        "language": case.language,
        "opened_at": case.opened_at,
        "held_by": page.holder,
        "messages": MESSAGES.dump_python(list(page.messages), mode="json"),
        "next": _cursor(page.next) if page.next else None,
    }


def _cursor(position: Position) -> str:
    raw = json.dumps([position.at.isoformat(), position.message_id]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _position(cursor: str | None) -> Position | None:
    if cursor is None:
        return None
    try:
        at, message_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None or not isinstance(message_id, str):
            raise ValueError("not a cursor of this API")
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as error:
        raise Problem(400, "after= is not a cursor this API gave") from error
    return Position(moment, message_id)


@router.post("/{case_id}/replies", status_code=202)
async def post_reply(
    case_id: Annotated[str, Path(min_length=1, max_length=64, pattern=CASE_ID)],
    reply: ReplyRequest,
    uow: UnitOfWorkDep,
    principal: PrincipalDep,
    response: Response,
    idempotency_key_header: Annotated[
        str | None,
        Header(alias="Idempotency-Key", min_length=1, max_length=402, pattern=IDEMPOTENCY_KEY),
    ] = None,
) -> dict[str, Any]:
    """The agent holding the case replies to the customer: recorded as an outbound message,
    published, and sent through the adapter of the customer's latest message (202 once it
    is queued; its delivery state shows in the conversation).

    With an ``Idempotency-Key`` (1 to 200 printable characters, as a quoted Structured
    Field string or bare) a retry of the same request
    answers with the reply the first one posted (``Idempotent-Replayed: true``) and sends
    nothing again; the same key with a different request is refused with 422."""
    try:
        key = idempotency_key(idempotency_key_header) if idempotency_key_header else None
    except BadIdempotencyKey as error:
        raise Problem(422, str(error)) from error
    try:
        posted = await replies.post_reply(
            uow=uow,
            principal=principal,
            case_id=case_id,
            reply=reply,
            now=datetime.now(UTC),
            idempotency_key=key,
        )
    except KeyReused as error:
        raise Problem(
            422, "this Idempotency-Key was used for a different reply; use a new key"
        ) from error
    except UnknownCase as error:
        raise Problem(404, f"no case {case_id!r}") from error
    except NotAllowed as error:
        raise Problem(403, "only the agent holding the case replies to its customer") from error
    except ReplyRefused as error:
        raise Problem(422, str(error)) from error
    except NoOutbound as error:
        raise Problem(
            409, f"adapter {error.args[0]!r} has no outbound address to send replies to"
        ) from error
    row = posted.reply
    if posted.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return {
        "reply_id": row.id,
        "case_id": row.case_id,
        "delivery": row.delivery,
        "subject": row.subject,
        "message_id": f"<{row.thread_ref.removeprefix('email:')}>" if row.thread_ref else None,
    }
