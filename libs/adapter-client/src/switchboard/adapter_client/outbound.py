"""What intake sends the adapter to deliver to a customer (``POST`` to the adapter's
registered outbound address, signed with its secret): a ``switchboard.reply.outbound``
request whose ``data`` is an agent's reply or a survey invitation, addressed from the
customer's latest message. The adapter answers 2xx once it has taken it, then reports how
far it got (``AdapterClient.report_delivery``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from switchboard.adapter_client.signing import verify

OUTBOUND_TYPE = "switchboard.reply.outbound"


class OutboundAttachment(BaseModel):
    model_config = ConfigDict(extra="allow")
    url: str
    filename: str
    content_type: str
    size_bytes: int


class OutboundDocument(BaseModel):
    """The message; the fields of its channel are set (fields intake adds later are kept)."""

    model_config = ConfigDict(extra="allow")
    kind: Literal["reply", "survey"]
    case_id: str
    channel: str
    posted_at: datetime
    text: str
    reply_id: str | None = None
    """A reply's id (what delivery reports name); a survey's is ``survey_id``."""
    survey_id: str | None = None
    attachments: list[OutboundAttachment] = []
    # e-mail
    to: list[str] = []
    subject: str | None = None
    html: str | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = []
    # chat
    session_id: str | None = None
    visitor_id: str | None = None
    # social
    platform: str | None = None
    handle: str | None = None
    conversation_id: str | None = None
    in_reply_to_item_id: str | None = None
    # a survey invitation
    link: str | None = None
    language: str | None = None

    @property
    def delivery_id(self) -> str:
        """The id a delivery report names: the reply's, or the survey's."""
        found = self.reply_id or self.survey_id
        assert found is not None, "intake names every outbound message"
        return found


class OutboundMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Literal["switchboard.reply.outbound"]
    timestamp: datetime
    data: OutboundDocument


def read_outbound(
    body: bytes, headers: Mapping[str, str], secrets: Iterable[str]
) -> OutboundMessage:
    """The outbound message, once its signature verifies with one of the adapter's secrets
    (``InvalidSignature`` otherwise: answer 401); ``pydantic.ValidationError`` if it is no
    outbound message."""
    verify(secrets, headers, body)
    return OutboundMessage.model_validate_json(body)
