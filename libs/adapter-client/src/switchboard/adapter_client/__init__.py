"""Write a Switchboard channel adapter: post your channel's contacts to intake, signed
(``AdapterClient``); receive the replies and survey invitations intake sends your customers,
verified (``read_outbound``); report how far each got (``AdapterClient.report_delivery``)."""

from switchboard.adapter_client.client import AdapterClient, DeliveryRecorded, IntakeRefused
from switchboard.adapter_client.contacts import (
    Accepted,
    Attachment,
    ChatContact,
    ChatVisitor,
    Contact,
    DeliveryState,
    EmailContact,
    IgnoredEmail,
    IvrSelection,
    PhoneContact,
    SocialContact,
)
from switchboard.adapter_client.outbound import (
    OUTBOUND_TYPE,
    OutboundDocument,
    OutboundMessage,
    read_outbound,
)
from switchboard.adapter_client.signing import InvalidSignature, signed_headers, verify

__all__ = [
    "OUTBOUND_TYPE",
    "Accepted",
    "AdapterClient",
    "Attachment",
    "ChatContact",
    "ChatVisitor",
    "Contact",
    "DeliveryRecorded",
    "DeliveryState",
    "EmailContact",
    "IgnoredEmail",
    "IntakeRefused",
    "InvalidSignature",
    "IvrSelection",
    "OutboundDocument",
    "OutboundMessage",
    "PhoneContact",
    "SocialContact",
    "read_outbound",
    "signed_headers",
    "verify",
]
