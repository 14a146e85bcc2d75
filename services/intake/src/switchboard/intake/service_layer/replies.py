"""Replies that reach the customer: the agent holding a case posts one; intake records it as
an outbound message, publishes ``ReplyPosted`` and queues it for the adapter of the
customer's latest message (a signed request, retried, dead after its attempts); the
adapter's answer and its later reports move the reply's delivery state, each change
published as ``ReplyDeliveryChanged``."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter as Tally
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from prometheus_client import Counter
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.contracts.events import (
    ReplyDeliveryChanged,
    ReplyPosted,
    SurveyDeliveryChanged,
)
from switchboard.contracts.events.cases import DeliveryState
from switchboard.contracts.events.common import Channel
from switchboard.intake.adapters.adapter_directory import opened_credential
from switchboard.intake.adapters.orm import (
    AdapterRow,
    CaseRow,
    ContactRow,
    ReplyRow,
)
from switchboard.intake.adapters.secret_box import SecretBox
from switchboard.intake.domain.channel_adapters import CREDENTIALS, Provider
from switchboard.intake.domain.conversation import safe_html
from switchboard.intake.domain.credentials import SendOrigin
from switchboard.intake.domain.replies import (
    ReplyDelivery,
    ReplyRequest,
    addressing,
    check_fits,
    email_message_id,
    outbound_document,
    reply_subject,
)
from switchboard.intake.service_layer.conversations import (
    NotAllowed,
    UnknownCase,
    case_and_holder,
)
from switchboard.intake.service_layer.delivery_outcomes import outcome_of
from switchboard.intake.service_layer.personal_fields import sealed
from switchboard.intake.service_layer.providers import SENDERS, ProviderSender
from switchboard.intake.service_layer.unit_of_work import IntakeUnitOfWork
from switchboard.servicekit.auth import Principal, Role
from switchboard.servicekit.db import dialect_of
from switchboard.servicekit.db.hooks import call_after_commit
from switchboard.servicekit.deliveries import Outgoing, Settled, enqueue

OUTBOUND_STREAM = "adapter-outbound"
OUTBOUND_TYPE = "switchboard.reply.outbound"
EXCERPT = 1000
IDEMPOTENCY_LOCKS = 0x1D3  # first key of pg_advisory_xact_lock(int, int) for reply keys


class NoOutbound(LookupError):
    """The adapter of the customer's latest message has no outbound address."""


class UnknownReply(LookupError):
    pass


class KeyReused(ValueError):
    """The Idempotency-Key was used for another reply with a different request."""


@dataclass(frozen=True)
class Posted:
    reply: ReplyRow
    replayed: bool
    """An earlier request with the same Idempotency-Key posted it; nothing new was sent."""


async def post_reply(
    *,
    uow: IntakeUnitOfWork,
    principal: Principal,
    case_id: str,
    reply: ReplyRequest,
    now: datetime,
    idempotency_key: str | None = None,
) -> Posted:
    """Post the holding agent's reply; with an ``idempotency_key`` a retry of the same
    request returns the reply it posted (even once the case moved on) instead of a second
    one, and the key with a different request is refused."""
    session = uow.session
    case, holder = await case_and_holder(session, case_id)
    digest = request_digest(reply) if idempotency_key else None
    if idempotency_key and principal.role is Role.AGENT:
        earlier = await keyed_reply(session, case_id, principal.subject, idempotency_key)
        if earlier is not None:
            if earlier.request_digest != digest:
                raise KeyReused(idempotency_key)
            return Posted(earlier, replayed=True)
    if principal.role is not Role.AGENT or holder != principal.subject:
        raise NotAllowed(case_id)
    check_fits(case.channel, reply)
    latest, adapter = await latest_inbound_and_adapter(session, case)
    if not sends_outbound(adapter):
        raise NoOutbound(latest.adapter_id)
    assert adapter is not None
    reply_id = str(uuid.uuid4())
    is_email = case.channel == "email"
    message_id = email_message_id(reply_id, uow.deps.mail_domain) if is_email else None
    subject = reply_subject(case.subject, reply.subject) if is_email else None
    row = ReplyRow(
        id=reply_id,
        case_id=case.id,
        kind="reply",
        agent_id=principal.subject,
        adapter_id=adapter.id,
        channel=case.channel,
        posted_at=now,
        text=reply.text,
        subject=subject,
        html=safe_html(reply.html) if reply.html else None,
        attachments={"items": [a.model_dump() for a in reply.attachments]},
        thread_ref=f"email:{message_id}" if message_id else None,
        delivery=ReplyDelivery.QUEUED.value,
        delivery_changed_at=now,
        idempotency_key=idempotency_key,
        request_digest=digest,
    )
    session.add(row)
    posted = ReplyPosted(
        case_id=case.id,
        customer_id=case.customer_id,
        region=case.region,
        channel=Channel(case.channel),
        reply_id=reply_id,
        agent_id=principal.subject,
        posted_at=now,
        adapter_id=adapter.id,
        subject=subject[:200] if subject else None,
        text=reply.text[:EXCERPT],
        text_truncated=len(reply.text) > EXCERPT,
    )
    await uow.publish(*await sealed(session, [posted]))
    document = outbound_document(
        reply_id=reply_id,
        case_id=case.id,
        channel=case.channel,
        reply=reply,
        subject=subject,
        to=addressing(case.channel, latest.request),
        message_id=message_id,
        posted_at=now,
    )
    await queue_for_adapter(
        session,
        box=uow.deps.secret_box,
        origin=SendOrigin(adapter.id, uow.deps.public_base_url),
        adapter=adapter,
        case=case,
        message_id=reply_id,
        document=document,
        at=now,
    )
    return Posted(row, replayed=False)


def request_digest(reply: ReplyRequest) -> str:
    return hashlib.sha256(reply.model_dump_json().encode()).hexdigest()


async def keyed_reply(
    session: AsyncSession, case_id: str, agent_id: str, key: str
) -> ReplyRow | None:
    """The reply the agent posted on the case with this key. On PostgreSQL requests with
    the same key wait here for each other (a transaction lock on the key), so concurrent
    retries post one reply: the next finds the first's once it committed. (SQLite, for
    development, writes one transaction at a time; there a racing retry fails on the
    unique key instead.)"""
    if dialect_of(session) == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, hashtext(:key))"),
            {"namespace": IDEMPOTENCY_LOCKS, "key": json.dumps([case_id, agent_id, key])},
        )
    query = select(ReplyRow).where(
        ReplyRow.case_id == case_id, ReplyRow.agent_id == agent_id, ReplyRow.idempotency_key == key
    )
    return (await session.execute(query)).scalar()


async def queue_for_adapter(
    session: AsyncSession,
    *,
    box: SecretBox,
    origin: SendOrigin,
    adapter: AdapterRow,
    case: CaseRow,
    message_id: str,
    document: dict[str, Any],
    at: datetime,
) -> None:
    """Queue an outbound message for the adapter (it must send): signed to its outbound
    address, or its provider's send request (whose address, which may hold the credential,
    is only built when it is sent)."""
    sender = _provider_sender(adapter)
    if sender is not None:
        credential = opened_credential(adapter, box)
        event_type, url = sender.send_type, f"{adapter.provider}:{sender.send_type}"
        body = sender.send_body(document, credential, origin)
    else:
        assert adapter.outbound_url
        event_type, url = OUTBOUND_TYPE, adapter.outbound_url
        body = json.dumps(
            {"type": OUTBOUND_TYPE, "timestamp": at.isoformat(), "data": document},
            separators=(",", ":"),
            ensure_ascii=False,
        )
    await enqueue(
        session,
        [
            Outgoing(
                stream=OUTBOUND_STREAM,
                recipient=adapter.id,
                message_id=message_id,
                event_type=event_type,
                body=body,
                url=url,
                region=case.region,
            )
        ],
        at=at,
    )


def sends_outbound(adapter: AdapterRow | None) -> bool:
    """Whether outbound messages can go through the adapter: it has an outbound address,
    or sends through its provider's API."""
    if adapter is None:
        return False
    return bool(adapter.outbound_url) or _provider_sender(adapter) is not None


def _provider_sender(adapter: AdapterRow) -> ProviderSender | None:
    """The provider the adapter sends through (None: it posts to its outbound address)."""
    if not adapter.provider or not adapter.provider_credential:
        return None
    provider = Provider(adapter.provider)
    return SENDERS.get(provider) if CREDENTIALS[provider].sends else None


async def latest_inbound_and_adapter(
    session: AsyncSession, case: CaseRow
) -> tuple[ContactRow, AdapterRow | None]:
    """The customer's latest message on the case's channel and the adapter it came through
    (where outbound messages go), in one statement."""
    query = (
        select(ContactRow, AdapterRow)
        .outerjoin(AdapterRow, AdapterRow.id == ContactRow.adapter_id)
        .where(ContactRow.case_id == case.id, ContactRow.channel == case.channel)
        .order_by(ContactRow.received_at.desc(), ContactRow.id.desc())
        .limit(1)
    )
    found = (await session.execute(query)).first()
    if found is None:  # every case starts with a contact of its channel
        raise UnknownCase(case.id)
    return found[0], found[1]


async def latest_inbound(session: AsyncSession, case: CaseRow) -> ContactRow:
    """The customer's latest message on the case's channel: where outbound messages go."""
    latest, _ = await latest_inbound_and_adapter(session, case)
    return latest


async def deliveries_settled(uow: IntakeUnitOfWork, outcomes: Sequence[Settled]) -> None:
    """The adapter took these replies (accepted), Telegram sent them (sent), or they never
    went within their attempts (failed): the batch's replies locked with one statement,
    their cases read with one, their changes published with one."""
    ours = {s.message_id: s for s in outcomes if s.stream == OUTBOUND_STREAM}
    if not ours:
        return
    session = uow.session
    locked = select(ReplyRow).where(ReplyRow.id.in_(sorted(ours))).order_by(ReplyRow.id)
    rows = list(await session.scalars(locked.with_for_update()))
    changes: list[tuple[ReplyRow, ReplyDelivery, datetime, str | None]] = []
    for row in rows:
        settled = ours[row.id]
        outcome = outcome_of(settled)
        row.provider_message_id = outcome.provider_message_id or row.provider_message_id
        state, reason = outcome.state, outcome.reason
        if state is None:
            row.delivery_error = reason
            continue
        if _move(row, state, at=settled.at, reason=reason):
            changes.append((row, state, settled.at, reason))
    if not changes:
        return
    case_ids = sorted({row.case_id for row, *_ in changes})
    cases = {
        c.id: c for c in await session.scalars(select(CaseRow).where(CaseRow.id.in_(case_ids)))
    }
    await uow.publish(
        *(
            _delivery_changed(cases[row.case_id], row, state, at, reason)
            for row, state, at, reason in changes
        )
    )
    _count_changes(uow, ((row, cases[row.case_id], state) for row, state, *_ in changes))


@dataclass(frozen=True)
class Report:
    reply_id: str
    state: ReplyDelivery
    at: datetime
    reason: str | None = None


async def report_delivery(*, uow: IntakeUnitOfWork, adapter_id: str, report: Report) -> ReplyRow:
    """The adapter reports how far a reply got (sent, delivered, read, failed); a report
    that would move it backwards, or after it failed, changes nothing."""
    row = await uow.session.get(ReplyRow, report.reply_id, with_for_update=True)
    if row is None or row.adapter_id != adapter_id:
        raise UnknownReply(report.reply_id)
    if _move(row, report.state, at=report.at, reason=report.reason):
        case = await uow.session.get(CaseRow, row.case_id)
        assert case is not None
        await uow.publish(_delivery_changed(case, row, report.state, report.at, report.reason))
        _count_changes(uow, [(row, case, report.state)])
    return row


async def report_provider_delivery(
    *,
    uow: IntakeUnitOfWork,
    adapter_id: str,
    provider_message_id: str,
    state: ReplyDelivery,
    at: datetime,
    reason: str | None = None,
) -> ReplyRow | None:
    """A provider's status report (delivered, read, failed…) for the message it gave this
    id: the outbound message sent through the adapter moves as ``report_delivery`` moves
    it; None when the adapter sent no message with that id (a provider reports messages
    sent from elsewhere too)."""
    query = select(ReplyRow.id).where(
        ReplyRow.adapter_id == adapter_id, ReplyRow.provider_message_id == provider_message_id
    )
    reply_id = (await uow.session.execute(query.limit(1))).scalar()
    if reply_id is None:
        return None
    report = Report(reply_id=reply_id, state=state, at=at, reason=reason)
    return await report_delivery(uow=uow, adapter_id=adapter_id, report=report)


def _move(row: ReplyRow, state: ReplyDelivery, *, at: datetime, reason: str | None) -> bool:
    """The outbound message (locked by the caller) moves to ``state`` if that is forward;
    whether it moved (the caller publishes the change)."""
    if not ReplyDelivery(row.delivery).moves_to(state):
        return False
    row.delivery, row.delivery_changed_at = state.value, at
    row.delivery_error = reason if state is ReplyDelivery.FAILED else None
    return True


DELIVERY_CHANGES = Counter(
    "intake_reply_deliveries_total",
    "Delivery changes of the messages intake sent or tried to send, by kind (reply, survey), "
    "channel and the state reached (accepted, sent, delivered, read, failed); once committed",
    ["kind", "channel", "state"],
)


def _count_changes(
    uow: IntakeUnitOfWork, moved: Iterable[tuple[ReplyRow, CaseRow, ReplyDelivery]]
) -> None:
    tally = Tally((row.kind, case.channel, state.value) for row, case, state in moved)
    for labels, count in tally.items():
        call_after_commit(uow.session, partial(DELIVERY_CHANGES.labels(*labels).inc, count))


def _delivery_changed(
    case: CaseRow, row: ReplyRow, state: ReplyDelivery, at: datetime, reason: str | None
) -> ReplyDeliveryChanged | SurveyDeliveryChanged:
    """A reply's change, or a survey invitation's (for feedback)."""
    if row.kind == "survey":
        return survey_delivery_changed(case, row.id, state, at=at, reason=reason)
    return ReplyDeliveryChanged(
        case_id=case.id,
        customer_id=case.customer_id,
        region=case.region,
        channel=Channel(case.channel),
        reply_id=row.id,
        agent_id=row.agent_id,
        state=DeliveryState(state.value),
        changed_at=at,
        reason=reason[:2000] if reason else None,
    )


def survey_delivery_changed(
    case: CaseRow, survey_id: str, state: ReplyDelivery, *, at: datetime, reason: str | None
) -> SurveyDeliveryChanged:
    return SurveyDeliveryChanged(
        case_id=case.id,
        customer_id=case.customer_id,
        region=case.region,
        channel=Channel(case.channel),
        survey_id=survey_id,
        state=DeliveryState(state.value),
        changed_at=at,
        reason=reason[:2000] if reason else None,
    )
