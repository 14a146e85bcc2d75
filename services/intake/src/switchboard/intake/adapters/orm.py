"""Intake's own tables: adapters, customers and identities, cases, contacts (whose unique
indexes make retries idempotent)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from switchboard.servicekit.db.orm import TYPE_ANNOTATIONS, service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata()
    type_annotation_map = TYPE_ANNOTATIONS


class AdapterRow(Base):
    """A channel adapter allowed to post contacts, with its signing secrets."""

    __tablename__ = "intake_adapters"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    region: Mapped[str | None] = mapped_column(String(32))
    default_country: Mapped[str | None] = mapped_column(String(2))
    department: Mapped[str | None] = mapped_column(String(64))
    current_secret: Mapped[str] = mapped_column(String(512))
    """Sealed (``adapters.secret_box``), like ``previous_secret``."""
    previous_secret: Mapped[str | None] = mapped_column(String(512))
    previous_secret_expires_at: Mapped[datetime | None]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]
    outbound_url: Mapped[str | None] = mapped_column(String(2048))
    """Where replies to its customers are posted (signed with the adapter's current secret)."""
    provider: Mapped[str | None] = mapped_column(String(32))
    """The provider whose own webhooks and API the adapter speaks (``telegram``…)."""
    provider_credential: Mapped[str | None] = mapped_column(Text)
    """The provider's credential (``ProviderCredential.stored()``), sealed like the secrets."""
    previous_provider_credential: Mapped[str | None] = mapped_column(Text)
    """The credential it replaced, sealed; good for the provider's webhooks until
    ``previous_provider_credential_expires_at``."""
    previous_provider_credential_expires_at: Mapped[datetime | None]


class CustomerRow(Base):
    __tablename__ = "intake_customers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(32))
    tier: Mapped[str | None] = mapped_column(String(64))
    vip: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class IdentityRow(Base):
    """One normalised e-mail, E.164 number, social handle or chat visitor of a customer."""

    __tablename__ = "intake_identities"

    key: Mapped[str] = mapped_column(String(600), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("intake_customers.id"), index=True)
    created_at: Mapped[datetime]


class CaseRow(Base):
    """A thread of contacts: open until routing resolves it, reopenable for a while after."""

    __tablename__ = "intake_cases"
    __table_args__ = (Index(None, "customer_id", "channel", "status"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("intake_customers.id"))
    channel: Mapped[str] = mapped_column(String(16))
    region: Mapped[str] = mapped_column(String(32))
    department: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(35))
    subject: Mapped[str | None] = mapped_column(String(200))
    opened_at: Mapped[datetime]
    last_activity_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    reopened_at: Mapped[datetime | None]
    resolution_code: Mapped[str | None] = mapped_column(String(64))
    """How routing's agent resolved it last (``CaseResolved``), for the customer's history."""


class ContactRow(Base):
    """One accepted contact. Its (adapter, webhook id) and (adapter, provider message id) are
    unique, which makes retries idempotent; its thread reference finds its case later."""

    __tablename__ = "intake_contacts"
    __table_args__ = (
        Index(None, "adapter_id", "webhook_id", unique=True),
        Index(None, "adapter_id", "provider_message_id", unique=True),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("intake_cases.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("intake_customers.id"))
    adapter_id: Mapped[str] = mapped_column(ForeignKey("intake_adapters.id"))
    channel: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime]
    language: Mapped[str] = mapped_column(String(35))
    language_confidence: Mapped[float] = mapped_column(Float)
    provider_message_id: Mapped[str | None] = mapped_column(String(1100))
    webhook_id: Mapped[str] = mapped_column(String(256))
    thread_ref: Mapped[str | None] = mapped_column(String(1100), index=True)
    text: Mapped[str] = mapped_column(Text)
    request: Mapped[dict[str, Any]]
    """The validated request as the adapter sent it, normalised."""


class CaseHolderRow(Base):
    """Who holds a case now, as routing's assignment events say: the agent who accepted it
    or had it transferred to them (none while it waits in a queue). Decides who may read
    its conversation."""

    __tablename__ = "intake_case_holders"

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[str | None] = mapped_column(String(64))
    since: Mapped[datetime]
    """When routing made the change; an older event changes nothing."""


class CustomerNoteRow(Base):
    """What a coordinator or admin wrote down about a customer, for whoever serves them next."""

    __tablename__ = "intake_customer_notes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("intake_customers.id"), index=True)
    author: Mapped[str] = mapped_column(String(256))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class ReplyRow(Base):
    """An outbound message of the case's conversation — an agent's reply or a survey
    request — sent through the adapter of the customer's latest message, with how far its
    delivery got."""

    __tablename__ = "intake_replies"
    __table_args__ = (
        Index(None, "case_id", "posted_at"),
        Index("ix_intake_replies_provider_message", "adapter_id", "provider_message_id"),
        UniqueConstraint("case_id", "agent_id", "idempotency_key"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("intake_cases.id"))
    kind: Mapped[str] = mapped_column(String(16), default="reply")
    """``reply`` (an agent's) or ``survey`` (feedback's survey request, sent by intake)."""
    agent_id: Mapped[str] = mapped_column(String(128))
    """The agent who replied; ``feedback`` for a survey request."""
    adapter_id: Mapped[str] = mapped_column(ForeignKey("intake_adapters.id"))
    channel: Mapped[str] = mapped_column(String(16))
    posted_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(998))
    html: Mapped[str | None] = mapped_column(Text)
    """Sanitised when posted."""
    attachments: Mapped[dict[str, Any]]
    """``{"items": [...]}``: references (URL, file name, type, size), not contents."""
    thread_ref: Mapped[str | None] = mapped_column(String(1100), index=True)
    """``email:<Message-ID>`` of an e-mail reply: the customer's answer threads back by it."""
    delivery: Mapped[str] = mapped_column(String(16))
    """queued, accepted (the adapter took it), sent, delivered, read or failed."""
    delivery_changed_at: Mapped[datetime]
    provider_message_id: Mapped[str | None] = mapped_column(String(128))
    """The provider's id of the message it made (Telegram's ``chat:message_id``)."""
    delivery_error: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    """The ``Idempotency-Key`` the agent's client sent with the reply, if any: a retry with
    it gets this reply back instead of sending another."""
    request_digest: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 of the request a keyed reply was posted with: the same key with another
    request is refused."""


class CustomerMergeRow(Base):
    """A customer record merged into another: its identities, cases and notes moved to the
    survivor; the merged id still answers, pointing there."""

    __tablename__ = "intake_customer_merges"

    merged_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    survivor_id: Mapped[str] = mapped_column(ForeignKey("intake_customers.id"), index=True)
    merged_at: Mapped[datetime]
    merged_by: Mapped[str] = mapped_column(String(256))


class MergeProposalRow(Base):
    """Two customers one contact's identities led to: probably one person. Proposed when the
    contact arrived; merged or dismissed by a coordinator or admin."""

    __tablename__ = "intake_merge_proposals"

    first_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    """The pair in id order (stored once)."""
    second_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(64))
    proposed_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    """open, merged or dismissed."""


class CustomerConsentRow(Base):
    """One change of a customer's consent to a purpose, never updated: the current state is
    the latest change per purpose (``domain.consents``)."""

    __tablename__ = "intake_customer_consents"
    __table_args__ = (Index(None, "customer_id", "purpose", "at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("intake_customers.id"))
    purpose: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    """When the customer expressed it."""
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(256))
    source: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(1000))


class CustomerErasureRow(Base):
    """A customer's erasure: who asked and when, and each service's confirmation
    (``{service: ISO time}``). The customer id stays, as the record that it was done."""

    __tablename__ = "intake_customer_erasures"

    erasure_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), unique=True)
    requested_at: Mapped[datetime]
    requested_by: Mapped[str] = mapped_column(String(256))
    confirmations: Mapped[dict[str, Any]]


class CustomerKeyRow(Base):
    """A customer's data key: the personal fields of intake's events about them are sealed
    under it (``servicekit.sealing``). Deleted when the customer is erased, which leaves
    every copy of those fields unreadable."""

    __tablename__ = "intake_customer_keys"

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime]
