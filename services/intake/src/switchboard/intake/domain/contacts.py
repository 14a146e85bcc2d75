"""What channel adapters post: one request model per channel, validated precisely.

Every model normalises what identifies a customer or a thread (addresses, numbers,
handles, message ids) so that the rest of intake compares normalised values only.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

import inscriptis
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from switchboard.intake.domain import identity
from switchboard.intake.domain.email_quotes import new_text
from switchboard.intake.domain.identity import IdentityKey
from switchboard.intake.domain.values import Channel, Priority
from switchboard.servicekit.json_types import JSON_NUMBER

NO_NUL = r"^[^\x00]*$"
"""Text PostgreSQL can store: no NUL character (the schemas say so; the model validator
below names the field that holds one)."""
SOME_TEXT = (
    r"^[^\x00]*[^\x00\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00]*$"
)
"""No NUL, and one character that is not white space (what pydantic's strip removes), in
an expression Python, Rust (pydantic) and ECMA-262 (the schema's readers) read alike."""

ExternalId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512, pattern=SOME_TEXT)
]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=SOME_TEXT)
]
Slug = Annotated[str, StringConstraints(max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")]
MessageText = Annotated[str, StringConstraints(max_length=200_000, pattern=NO_NUL)]
_MESSAGE_ID = re.compile(r"^<?([^\s<>]{1,996})>?$")


def normalise_message_id(raw: str) -> str:
    """``<abc@example.com>`` and ``abc@example.com`` are one Message-ID."""
    match = _MESSAGE_ID.match(raw.strip())
    if not match:
        raise ValueError("a Message-ID is one token without spaces, e.g. <abc@example.com>")
    return match.group(1)


EmailAddress = Annotated[
    str,
    AfterValidator(identity.normalise_email),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": 320}),
]
MessageId = Annotated[
    str,
    AfterValidator(normalise_message_id),
    WithJsonSchema({"type": "string", "pattern": r"^\s*<?[^\s<>]{1,996}>?\s*$"}),
]
PhoneNumber = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "format": "phone",
            "minLength": 1,
            "maxLength": 64,
            "description": "A number libphonenumber reads as valid: E.164 (+4512345678), or "
            "national with the country given beside it or the adapter's country",
        }
    ),
]


def _default_country(info: ValidationInfo) -> str | None:
    """The adapter's country for national-format numbers, passed as validation context."""
    context = info.context if isinstance(info.context, dict) else {}
    country = context.get("default_country")
    return country if isinstance(country, str) else None


def _where_nul_is(document: Any, path: str = "") -> str | None:
    """The dotted path of the first NUL character in a JSON-like document, if it has one."""
    if isinstance(document, str):
        return path if "\x00" in document else None
    if isinstance(document, dict):
        items: Any = document.items()
    elif isinstance(document, list | tuple):
        items = enumerate(document)
    else:
        return None
    for key, value in items:
        here = f"{path}.{key}" if path else str(key)
        if "\x00" in str(key):
            return here
        if (found := _where_nul_is(value, here)) is not None:
            return found
    return None


class ContactRequest(BaseModel):
    """Fields every channel shares; unknown fields are refused so typos surface at once."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    channel: ClassVar[Channel]

    priority: Priority | None = None
    """The adapter's own urgency, 1 (urgent) to 4 (low); channel defaults apply when absent."""
    customer_name: Name | None = None
    sent_at: AwareDatetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_nul_characters(cls, data: Any) -> Any:
        """No message holds a NUL character, and PostgreSQL could not store one."""
        if isinstance(data, dict) and (where := _where_nul_is(data)) is not None:
            raise ValueError(f"{where} contains a NUL character (U+0000)")
        return data

    @property
    def provider_message_id(self) -> str | None:
        """The provider's id of this very message: a retry carries the same one."""
        return None

    @property
    def thread_refs(self) -> tuple[str, ...]:
        """References to earlier messages of the same conversation."""
        return ()

    @property
    def own_thread_ref(self) -> str | None:
        """The reference later messages of this conversation will carry."""
        return None

    @property
    def text(self) -> str:
        return ""

    @property
    def subject(self) -> str | None:
        return None

    @property
    def department(self) -> str | None:
        return None

    def identities(self) -> tuple[IdentityKey, ...]:
        return ()


class PhoneEvent(StrEnum):
    CALL_STARTED = "call_started"
    CALL_MISSED = "call_missed"
    VOICEMAIL = "voicemail"
    CALLBACK_REQUESTED = "callback_requested"


class IvrSelection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    digits: Annotated[str, StringConstraints(pattern=r"^[0-9*#]{1,32}$")]
    department: Slug | None = None
    """The department the IVR menu maps these digits to, e.g. ``billing``."""


class PhoneContact(ContactRequest):
    channel: ClassVar[Channel] = Channel.PHONE

    event: PhoneEvent
    call_id: ExternalId
    caller_country: CountryCode | None = None
    """Where a national-format caller number is dialled from (ISO 3166 alpha-2)."""
    caller_number: PhoneNumber
    called_number: PhoneNumber | None = None
    ivr_selection: IvrSelection | None = None
    transcript: MessageText | None = None
    duration_seconds: Annotated[float, Field(ge=0, le=86_400), JSON_NUMBER] | None = None

    @field_validator("caller_number", "called_number")
    @classmethod
    def _to_e164(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        country = info.data.get("caller_country") or _default_country(info)
        return identity.normalise_phone(value, default_region=country)

    @property
    def provider_message_id(self) -> str:
        return f"{self.call_id}:{self.event.value}"

    @property
    def thread_refs(self) -> tuple[str, ...]:
        return (f"call:{self.call_id}",)

    @property
    def own_thread_ref(self) -> str:
        return f"call:{self.call_id}"

    @property
    def text(self) -> str:
        return self.transcript or ""

    @property
    def department(self) -> str | None:
        return self.ivr_selection.department if self.ivr_selection else None

    def identities(self) -> tuple[IdentityKey, ...]:
        return (IdentityKey(identity.IdentityKind.PHONE, self.caller_number),)


class Attachment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    filename: Annotated[str, StringConstraints(max_length=255, pattern=NO_NUL)] | None = None
    content_type: Annotated[str, StringConstraints(pattern=r"^[\w.+-]+/[\w.+-]+$")]
    size_bytes: Annotated[int, Field(ge=0), JSON_NUMBER]
    content_id: Annotated[str, StringConstraints(max_length=998, pattern=NO_NUL)] | None = None


class EmailContact(ContactRequest):
    channel: ClassVar[Channel] = Channel.EMAIL

    sender: EmailAddress
    sender_name: Name | None = None
    to: Annotated[list[EmailAddress], Field(max_length=500)] = []
    """Empty when the message named no recipient (Bcc, undisclosed) and no envelope header did."""
    cc: Annotated[list[EmailAddress], Field(max_length=500)] = []
    subject_line: Annotated[str, StringConstraints(max_length=998, pattern=NO_NUL)] = Field(
        "", alias="subject"
    )
    text_body: MessageText | None = None
    html_body: Annotated[str, StringConstraints(max_length=1_000_000, pattern=NO_NUL)] | None = None
    message_id: MessageId | None = None
    in_reply_to: MessageId | None = None
    references: Annotated[list[MessageId], Field(max_length=200)] = []
    attachments: Annotated[list[Attachment], Field(max_length=100)] = []

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @property
    def provider_message_id(self) -> str | None:
        return self.message_id

    @property
    def thread_refs(self) -> tuple[str, ...]:
        earlier = [self.in_reply_to, *reversed(self.references)]
        return tuple(dict.fromkeys(f"email:{ref}" for ref in earlier if ref))

    @property
    def own_thread_ref(self) -> str | None:
        return f"email:{self.message_id}" if self.message_id else None

    @property
    def full_text(self) -> str:
        """The whole text, quoted history included (from the HTML when there is no text)."""
        if self.text_body and self.text_body.strip():
            return self.text_body
        return html_to_text(self.html_body or "")

    @property
    def text(self) -> str:
        """What the customer wrote this time: quoted history and signature cut off."""
        return new_text(self.full_text)

    @property
    def subject(self) -> str | None:
        return self.subject_line or None

    def identities(self) -> tuple[IdentityKey, ...]:
        return (IdentityKey(identity.IdentityKind.EMAIL, self.sender),)


def html_to_text(html: str) -> str:
    """The text of an HTML body as a reader sees it (inscriptis: blocks become lines, no
    scripts or styles)."""
    if not html.strip():
        return ""
    text: str = inscriptis.get_text(html)
    return "\n".join(line.strip() for line in text.splitlines()).strip()


class ChatVisitor(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: ExternalId
    """The chat widget's visitor id (a cookie, a logged-in user id)."""
    name: Name | None = None
    email: EmailAddress | None = None
    phone_country: CountryCode | None = None
    phone: PhoneNumber | None = None

    @field_validator("phone")
    @classmethod
    def _to_e164(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        country = info.data.get("phone_country") or _default_country(info)
        return identity.normalise_phone(value, default_region=country)


class ChatContact(ContactRequest):
    channel: ClassVar[Channel] = Channel.CHAT

    session_id: ExternalId
    message_id: ExternalId | None = None
    visitor: ChatVisitor
    message: Annotated[str, StringConstraints(min_length=1, max_length=20_000, pattern=SOME_TEXT)]
    """Some text: a message of white space alone is refused."""

    @property
    def provider_message_id(self) -> str | None:
        return f"{self.session_id}:{self.message_id}" if self.message_id else None

    @property
    def thread_refs(self) -> tuple[str, ...]:
        return (f"chat:{self.session_id}",)

    @property
    def own_thread_ref(self) -> str:
        return f"chat:{self.session_id}"

    @property
    def text(self) -> str:
        return self.message

    def identities(self) -> tuple[IdentityKey, ...]:
        keys = [identity.chat_visitor_identity(self.visitor.id)]
        if self.visitor.email:
            keys.append(IdentityKey(identity.IdentityKind.EMAIL, self.visitor.email))
        if self.visitor.phone:
            keys.append(IdentityKey(identity.IdentityKind.PHONE, self.visitor.phone))
        return tuple(keys)


class SocialContact(ContactRequest):
    channel: ClassVar[Channel] = Channel.SOCIAL

    platform: Annotated[str, WithJsonSchema({"type": "string", "pattern": identity.PLATFORM})]
    handle: Annotated[
        str,
        WithJsonSchema(
            {
                "type": "string",
                "pattern": identity.ANY_HANDLE,
                "description": "Each known platform narrows it: on X `[A-Za-z0-9_]{1,15}`, on "
                "Instagram `[A-Za-z0-9._]{1,30}`, TikTok, Facebook and LinkedIn have theirs",
            }
        ),
    ]
    visibility: Literal["public", "private"]
    kind: Literal["post", "message"]
    item_id: ExternalId
    """The platform's id of this post or private message."""
    conversation_id: ExternalId | None = None
    """The root post or private conversation this item belongs to, when it is a reply."""
    text_body: Annotated[
        str, StringConstraints(min_length=1, max_length=20_000, pattern=NO_NUL)
    ] = Field(alias="text")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("platform")
    @classmethod
    def _normalise_platform(cls, value: str) -> str:
        if not re.search(identity.PLATFORM, value):
            raise ValueError(f"not a platform name: {value!r}")
        return identity.normalise_platform(value)

    @field_validator("handle")
    @classmethod
    def _normalise_handle(cls, value: str, info: ValidationInfo) -> str:
        platform = info.data.get("platform")
        if platform is None:
            raise ValueError("needs a valid platform")
        if not re.search(identity.ANY_HANDLE, value):
            raise ValueError(f"not a handle: {value!r}")
        return identity.normalise_handle(platform, value)

    @property
    def provider_message_id(self) -> str:
        return f"{self.platform}:{self.item_id}"

    @property
    def thread_refs(self) -> tuple[str, ...]:
        return (f"social:{self.platform}:{self.conversation_id}",) if self.conversation_id else ()

    @property
    def own_thread_ref(self) -> str:
        return f"social:{self.platform}:{self.conversation_id or self.item_id}"

    @property
    def text(self) -> str:
        return self.text_body

    def identities(self) -> tuple[IdentityKey, ...]:
        return (IdentityKey(identity.IdentityKind.SOCIAL, f"{self.platform}:{self.handle}"),)


AnyContact = PhoneContact | EmailContact | ChatContact | SocialContact
