"""Value types shared by the event models.

Priority is an integer on the wire, 1 (urgent) to 4 (low), so consumers sort on it
directly; ``Priority`` names the four levels in code.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Id = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^\S+$")]
"""An opaque identifier (usually a UUID) without whitespace."""
ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=998)]
"""An identifier chosen by another system, e.g. an e-mail Message-ID."""
Slug = Annotated[str, StringConstraints(max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
"""A lower-case code configured by the operator: a team, a department, a resolution code."""
Region = Annotated[str, StringConstraints(max_length=32, pattern=r"^[a-z][a-z0-9-]*$")]
"""An operator-defined region code, e.g. ``nordics`` or ``eu-west``."""
LanguageTag = Annotated[
    str, StringConstraints(max_length=35, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
]
"""A BCP 47 language tag, e.g. ``da``, ``fr-CA``, ``zh-Hant-TW``."""
Confidence = Annotated[float, Field(ge=0.0, le=1.0)]
Seconds = Annotated[float, Field(ge=0.0)]
Title = Annotated[str, StringConstraints(max_length=200)]
Note = Annotated[str, StringConstraints(max_length=2000)]
Excerpt = Annotated[str, StringConstraints(max_length=1000)]
"""The start of a message's text; the full text stays with the writing service."""
HttpsUrl = Annotated[str, StringConstraints(max_length=2048, pattern=r"^https?://\S+$")]


class Channel(StrEnum):
    """The medium a contact arrived by; a case keeps the channel of its first contact."""

    PHONE = "phone"
    EMAIL = "email"
    CHAT = "chat"
    SOCIAL = "social"


class Priority(IntEnum):
    """1 urgent, 2 high, 3 normal, 4 low: a lower number is served first."""

    URGENT = 1
    HIGH = 2
    NORMAL = 3
    LOW = 4


class ActorKind(StrEnum):
    AGENT = "agent"
    COORDINATOR = "coordinator"
    SYSTEM = "system"
    CUSTOMER = "customer"


class Value(BaseModel):
    """A value object nested in an event: frozen and tolerant like the events."""

    model_config = ConfigDict(frozen=True, extra="ignore", use_attribute_docstrings=True)


class Actor(Value):
    """Who did something: an agent, a coordinator, a customer, or a service (``system``)."""

    kind: ActorKind
    id: Id


Base64 = Annotated[str, StringConstraints(max_length=65_536, pattern=r"^[A-Za-z0-9+/]*={0,2}$")]


class Sealed(Value):
    """An event's personal fields, encrypted under their customer's data key: AES-256-GCM
    over the UTF-8 JSON object of those fields, the key id as associated data. Intake holds
    the keys (``key_id`` is the customer id) and destroys one when its customer is erased:
    every event sealed under it, already written or not, is unreadable from then on. The
    plain fields of a sealed event are left empty."""

    key_id: Id
    nonce: Base64
    ciphertext: Base64
