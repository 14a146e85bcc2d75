"""Providers the platform talks to, on loopback: Meta's Graph API (a stand-in that checks each
request as Meta documents it) and a team's own mail server (a real SMTP server, aiosmtpd)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from switchboard.servicekit.devinfra import free_port

from .platform import LOOPBACK

# https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages (text messages)
WHATSAPP_TEXT_FIELDS = {"messaging_product", "recipient_type", "to", "type", "text", "context"}
WHATSAPP_NUMBER = re.compile(r"^\+?[0-9]{6,15}$")
TEXT_LIMIT = 4096


def graph_error(status: int, code: int, message: str) -> JSONResponse:
    """Graph's error document (https://developers.facebook.com/docs/graph-api/guides/error-handling)."""
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf"}
    return JSONResponse({"error": error}, status_code=status)


@dataclass
class GraphStandIn:
    """``POST /v23.0/{phone-number-id}/messages`` of WhatsApp Cloud: a registered number,
    its token as a bearer, a JSON text message with only the documented fields; answered as
    Graph answers (the wamid it gives the message) or refused as Graph refuses."""

    numbers: dict[str, str] = field(default_factory=dict)
    """Phone number id → the access token that may send from it."""
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """(phone number id, body) of each message taken."""
    wamids: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def number(self, phone_number_id: str, access_token: str) -> None:
        self.numbers[phone_number_id] = access_token

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v23.0/{phone_number_id}/messages")
        async def messages(phone_number_id: str, request: Request) -> JSONResponse:
            token = self.numbers.get(phone_number_id)
            if token is None:
                return self._refuse(400, 100, f"Unsupported post request. Object {phone_number_id}")
            if request.headers.get("authorization") != f"Bearer {token}":
                return self._refuse(401, 190, "Invalid OAuth access token")
            if request.headers.get("content-type", "").split(";")[0] != "application/json":
                return self._refuse(400, 100, "(#100) The request body must be JSON")
            body = await request.json()
            if why := whatsapp_text_problem(body):
                return self._refuse(400, 100, f"(#100) Invalid parameter: {why}")
            wamid = f"wamid.{uuid.uuid4().hex.upper()}"
            self.sent.append((phone_number_id, body))
            self.wamids.append(wamid)
            number = body["to"].lstrip("+")
            return JSONResponse(
                {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": body["to"], "wa_id": number}],
                    "messages": [{"id": wamid}],
                }
            )

        return app

    def _refuse(self, status: int, code: int, message: str) -> JSONResponse:
        self.refused.append(message)
        return graph_error(status, code, message)


def whatsapp_text_problem(body: Any) -> str | None:
    """What a WhatsApp Cloud text message body gets wrong, None when it is as documented."""
    if not isinstance(body, dict):
        return "not an object"
    if extra := set(body) - WHATSAPP_TEXT_FIELDS:
        return f"unknown fields {sorted(extra)}"
    if body.get("messaging_product") != "whatsapp":
        return "messaging_product must be whatsapp"
    if body.get("recipient_type", "individual") != "individual":
        return "recipient_type"
    if not WHATSAPP_NUMBER.match(str(body.get("to", ""))):
        return "to"
    if body.get("type", "text") != "text":
        return "type"
    text = body.get("text")
    if not isinstance(text, dict) or set(text) - {"body", "preview_url"}:
        return "text"
    if not isinstance(text.get("body"), str) or not 0 < len(text["body"]) <= TEXT_LIMIT:
        return "text.body"
    if not isinstance(text.get("preview_url", False), bool):
        return "text.preview_url"
    context = body.get("context")
    if context is not None and (set(context) != {"message_id"} or not context["message_id"]):
        return "context"
    return None


class MailRelay:
    """A team's mail server taking mail for delivery (aiosmtpd's handler protocol): keeps
    each envelope and message."""

    def __init__(self) -> None:
        self.taken: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.taken.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 2.0.0 Ok: queued"


class RunningRelay:
    """A ``MailRelay`` listening on a loopback port (its own thread) until ``stop``."""

    def __init__(self) -> None:
        self.relay = MailRelay()
        self.port = free_port()
        self._controller = Controller(self.relay, hostname=LOOPBACK, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
