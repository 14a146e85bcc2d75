"""Erasing a customer everywhere (GDPR art. 17), and the export (art. 15), on the real stack.

Two French chat customers, each with a name, an e-mail address, a phone number, a chat
handle, a message, an agent's reply and a survey comment carrying the customer's own marker,
go through contact -> offer -> reply -> resolve -> survey. Élodie's message is angry
(escalation reads it although intake sealed it) and her answer a detractor's (escalation
opens a follow-up). What agents and a coordinator write about her case quotes her too: a
declined offer's reason, a transfer's reason, the resolution note, the coordinator's notes
on the follow-up and a manual escalation's reason (all sealed under her key). An admin
erases Élodie with ``switchboard-gdpr erase``; all four services confirm;
``switchboard-gdpr export`` gathers what they hold, before and after. Then every table of
every service's database (every row cast to text, binary columns read as what they hold)
and every Switchboard topic read from the start (dead letters included; key, value and
headers as raw bytes) are searched for Élodie's marker and phone number: none is found,
while Marc's still are, and his sealed events still open. The KPIs of their agents are the
same after the erasure as before.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import uuid
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from switchboard.contracts.events import (
    CaseOffered,
    CaseResolved,
    CaseTransferred,
    ContactReceived,
    CustomerErasedByEscalation,
    CustomerErasedByFeedback,
    CustomerErasedByIntake,
    CustomerErasedByRouting,
    CustomerErasureRequested,
    DetractorAlerted,
    EscalationAcknowledged,
    EscalationRaised,
    EscalationResolved,
    OfferDeclined,
    ReplyPosted,
    SurveyAnswered,
    SurveyRequested,
)
from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.sealing import SealedFields, open_sealed
from switchboard.servicekit.testing.receiver import SignedReceiver, serving

from .platform import SERVICES, SURVEY_DELAY_SECONDS, taken_by

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(240)]


class Customer:
    """A customer whose every personal string carries ``marker``."""

    def __init__(self, first: str, *, angry: bool, csat: int) -> None:
        self.marker = f"gdpr{uuid.uuid4().hex[:12]}"
        self.name = f"{first} {self.marker}"
        self.email = f"{self.marker}@example.fr"
        self.phone = f"+336{int(self.marker[4:10], 16) % 10**8:08d}"
        self.handle = f"visitor-{self.marker}"
        self.session = f"session-{self.marker}"
        feeling = "C'est inacceptable et franchement ridicule" if angry else "Merci beaucoup"
        self.message = (
            f"Bonjour, ma bouilloire commandée la semaine dernière fuit déjà. {feeling}, "
            f"pouvez-vous m'envoyer une nouvelle bouilloire ? Dossier {self.marker}."
        )
        self.reply = f"Bonjour {first}, une nouvelle bouilloire part demain ({self.marker})."
        self.answer = {"csat": csat, "nps": 9 if csat > 3 else 1, "comment": f"Avis {self.marker}"}
        self.case_id = ""
        self.customer_id = ""

    def needles(self) -> list[str]:
        """What must not be found anywhere once the customer is erased."""
        return [self.marker, self.phone.removeprefix("+")]

    def contact(self) -> dict[str, Any]:
        return {
            "session_id": self.session,
            "message_id": "1",
            "visitor": {
                "id": self.handle,
                "name": self.name,
                "email": self.email,
                "phone": self.phone,
            },
            "message": self.message,
        }


async def every_table(database_url: str) -> str:
    """Every row of every table of one database, as text; binary columns as what they hold
    (an outbox payload is JSON in a bytea)."""
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        tables = await connection.fetch(
            "select table_name from information_schema.tables "
            "where table_schema = 'public' and table_type = 'BASE TABLE'"
        )
        texts = []
        for table in tables:
            name = table["table_name"]
            rows = await connection.fetch(f'select t::text as row from "{name}" t')
            texts += [f"{name}: {row['row']}" for row in rows]
            binary = await connection.fetch(
                "select column_name from information_schema.columns "
                "where table_schema = 'public' and table_name = $1 and data_type = 'bytea'",
                name,
            )
            for column in binary:
                values = await connection.fetch(f'select "{column["column_name"]}" from "{name}"')
                texts += [
                    f"{name}: " + bytes(v[0]).decode("utf-8", "replace") for v in values if v[0]
                ]
        return "\n".join(texts)
    finally:
        await connection.close()


async def every_record(bootstrap: str) -> list[bytes]:
    """Key, value and headers of every record of every Switchboard topic, from the start."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith("switchboard.")]
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    found: list[bytes] = []
    try:
        partitions = [
            TopicPartition(topic["topic"], partition["partition"])
            for topic in described
            for partition in topic["partitions"]
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        pending = {tp for tp in partitions if ends[tp] > 0}
        while pending:
            batch = await consumer.getmany(timeout_ms=2000, max_records=5000)
            for tp, records in batch.items():
                for record in records:
                    headers = b"".join(k.encode() + (v or b"") for k, v in record.headers)
                    found.append((record.key or b"") + (record.value or b"") + headers)
                    if record.offset + 1 >= ends[tp]:
                        pending.discard(tp)
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
    finally:
        await consumer.stop()
    return found


async def test_an_erased_customer_is_unreadable_in_every_table_and_topic(
    platform, intake, routing, events, http
):
    region = platform.regions.eu_west  # no other e2e test hires French speakers here
    admin = platform.auth("e2e-gdpr-admin", "admin")
    agent = f"agathe-{uuid.uuid4().hex[:8]}"
    await routing.hire(agent, region=region, languages=["fr"], skills={"support": 8})
    await routing.available(agent)
    # Bruno declines Élodie's case, then takes it over from Agathe and resolves it.
    bruno = f"bruno-{uuid.uuid4().hex[:8]}"
    await routing.hire(bruno, region=region, languages=["fr"], skills={"support": 8})
    port = free_port()
    chat = await intake.register("chat", region, outbound_url=f"http://127.0.0.1:{port}/out")
    receiver = SignedReceiver(secret=chat.secret)
    elodie = Customer("Élodie", angry=True, csat=1)
    marc = Customer("Marc", angry=False, csat=5)
    intake_url, feedback_url = platform.url("intake"), platform.url("feedback")

    async with serving(receiver.app(), port):
        elodie.case_id = await declined_then_taken(
            elodie, agent, bruno, intake=intake, routing=routing, events=events, adapter=chat
        )
        marc.case_id = await taken_by(
            agent, intake=intake, routing=routing, events=events, adapter=chat,
            contact=marc.contact(),
        )  # fmt: skip
        for customer in (elodie, marc):
            [received] = await events.wait_for(
                ContactReceived, lambda e, c=customer: e.case_id == c.case_id
            )
            customer.customer_id = received.customer_id
            reply = await intake.reply_when_held(agent, customer.case_id, {"text": customer.reply})
            await events.wait_for(ReplyPosted, lambda e, r=reply: e.reply_id == r["reply_id"])
        holder = await transferred_to(elodie, agent, bruno, routing=routing, events=events)
        for customer, by in ((elodie, holder), (marc, agent)):
            said = f"Remboursé ({customer.marker}), rappeler {customer.phone}"
            note = {"note": said} if customer is elodie else {}
            resolved = await routing.act(by, customer.case_id, "resolve", note)
            assert resolved.status_code == 200, resolved.text
            await events.wait_for(CaseResolved, lambda e, c=customer: e.case_id == c.case_id)
            finished = await routing.act(by, customer.case_id, "wrap-up/finish")
            assert finished.status_code == 200, finished.text
        for customer in (elodie, marc):
            [survey] = await events.wait_for(
                SurveyRequested,
                lambda e, c=customer: e.case_id == c.case_id,
                timeout=SURVEY_DELAY_SECONDS + 30,
            )
            answered = await http.post(survey.link, json=customer.answer)
            assert answered.status_code == 201, answered.text
            await events.wait_for(SurveyAnswered, lambda e, c=customer: e.case_id == c.case_id)

    # Escalation read Élodie's sealed message (angry) and her detractor answer.
    await events.wait_for(DetractorAlerted, lambda e: e.case_id == elodie.case_id)
    raised = await events.wait_for(
        EscalationRaised, lambda e: e.case_id == elodie.case_id, count=2, timeout=30
    )
    assert {e.trigger.value for e in raised} >= {"angry_message", "detractor"}, raised
    # A coordinator takes the follow-up and closes it with notes, and escalates by hand.
    follow_up = next(e for e in raised if e.trigger.value == "detractor")
    await coordinator_wrote(
        elodie, follow_up.escalation_id, platform=platform, http=http, events=events
    )

    # Before: the personal strings are there, and the sealed events open with the key.
    stored = {s: await every_table(platform.database_urls[s]) for s in SERVICES}
    assert elodie.marker in stored["intake"]
    assert elodie.marker in stored["feedback"], "her comment, kept with the answer"
    [sealed_contact] = events.events(ContactReceived, lambda e: e.case_id == elodie.case_id)
    assert sealed_contact.text == ""
    keys = platform.auth("service:e2e", "admin")  # data keys go to services only
    assert elodie.marker in await opened(http, intake_url, keys, sealed_contact)
    [sealed_answer] = events.events(SurveyAnswered, lambda e: e.case_id == elodie.case_id)
    assert (sealed_answer.comment, sealed_answer.csat) == (None, 1)
    assert elodie.marker in await opened(http, intake_url, keys, sealed_answer)
    for kind, plain in (
        (OfferDeclined, "reason"),
        (CaseTransferred, "reason"),
        (CaseResolved, "note"),
        (EscalationAcknowledged, "note"),
        (EscalationResolved, "note"),
    ):
        [written] = events.events(kind, lambda e: about_follow_up(e, elodie, follow_up))
        assert getattr(written, plain) is None, kind
        assert elodie.marker in await opened(http, intake_url, keys, written), kind
    [manual] = events.events(
        EscalationRaised, lambda e: e.case_id == elodie.case_id and e.trigger.value == "manual"
    )
    assert manual.reason is None
    assert elodie.marker in await opened(http, intake_url, keys, manual)
    exported = await export(platform, elodie.customer_id)
    for service in SERVICES:
        assert any(exported[service].values()), service
    assert elodie.email in str(exported["intake"])
    assert elodie.reply in str(exported["intake"])
    assert elodie.answer["comment"] in str(exported["feedback"])
    kpis_before = [await agent_kpis(http, feedback_url, admin, region, a) for a in (agent, bruno)]
    assert [k["surveys_answered"] for k in kpis_before] == [1, 1], kpis_before

    # The erasure (switchboard-gdpr waits until every service confirmed).
    status = await gdpr(platform, "erase", elodie.customer_id, "--wait", "60")
    assert status["complete"] is True, status
    assert set(status["confirmed"]) == set(SERVICES)
    erasure_id = status["erasure_id"]
    [request] = await events.wait_for(
        CustomerErasureRequested, lambda e: e.erasure_id == erasure_id
    )
    assert elodie.case_id in request.case_ids
    for kind in (
        CustomerErasedByIntake,
        CustomerErasedByRouting,
        CustomerErasedByEscalation,
        CustomerErasedByFeedback,
    ):
        await events.wait_for(kind, lambda e: e.erasure_id == erasure_id, timeout=30)

    # After: nothing of Élodie's anywhere; Marc's all there.
    records = await every_record(platform.kafka_bootstrap)
    assert any(marc.case_id.encode() in r for r in records)
    for service in SERVICES:
        text = await every_table(platform.database_urls[service])
        for needle in elodie.needles():
            assert needle not in text, (service, needle, _around(text, needle))
        assert elodie.case_id in text or service == "escalation", service  # rows stay
        if service in ("intake", "feedback"):
            assert marc.marker in text, service
    for needle in elodie.needles():
        hits = [r for r in records if needle.encode() in r]
        assert not hits, (needle, hits[:2])
    gone = await http.get(f"{intake_url}/v1/personal-keys/{elodie.customer_id}", headers=keys)
    assert gone.status_code == 410, gone.text
    [marcs_contact] = events.events(ContactReceived, lambda e: e.case_id == marc.case_id)
    assert marc.marker in await opened(http, intake_url, keys, marcs_contact)
    after = await export(platform, elodie.customer_id)
    for needle in elodie.needles():
        assert needle not in str(after), needle
    after_kpis = [await agent_kpis(http, feedback_url, admin, region, a) for a in (agent, bruno)]
    assert after_kpis == kpis_before


def about_follow_up(event: Any, customer: Customer, follow_up: EscalationRaised) -> bool:
    """An event of the customer's case; of the escalations, the follow-up's."""
    escalation = getattr(event, "escalation_id", follow_up.escalation_id)
    return bool(event.case_id == customer.case_id and escalation == follow_up.escalation_id)


async def declined_then_taken(
    customer: Customer, agent: str, other: str, *, intake, routing, events, adapter
) -> str:
    """The customer's contact offered to ``other`` first, who declines it with a reason
    quoting the customer; then offered to ``agent``, who accepts: the case id."""
    await routing.presence(agent, "away")
    await routing.available(other)
    posted = await intake.post(adapter, customer.contact())
    assert posted.status_code == 202, posted.text
    case_id = str(posted.json()["case_id"])
    await events.wait_for(
        CaseOffered, lambda e: e.case_id == case_id and e.agent_id == other, timeout=30
    )
    reason = {"reason": f"{customer.name} a déjà appelé"}
    declined = await routing.act(other, case_id, "decline", reason)
    assert declined.status_code == 200, declined.text
    await routing.presence(other, "away")
    await routing.available(agent)
    await events.wait_for(
        CaseOffered, lambda e: e.case_id == case_id and e.agent_id == agent, timeout=30
    )
    accepted = await routing.act(agent, case_id, "accept")
    assert accepted.status_code == 200, accepted.text
    return case_id


async def transferred_to(customer: Customer, agent: str, other: str, *, routing, events) -> str:
    """``agent`` hands the customer's case to ``other`` by name with a reason quoting the
    customer, and ``other`` accepts it; then ``other`` goes away again: who holds it."""
    await routing.available(other)
    body = {"agent": other, "note": f"{customer.name} ({customer.email}) préfère Bruno"}
    moved = await routing.act(agent, customer.case_id, "transfer", body)
    assert moved.status_code == 200, moved.text
    offered = lambda e: e.case_id == customer.case_id and e.agent_id == other  # noqa: E731
    await events.wait_for(CaseOffered, offered, count=2, timeout=30)  # the first, declined
    accepted = await routing.act(other, customer.case_id, "accept")
    assert accepted.status_code == 200, accepted.text
    await routing.presence(other, "away")
    return other


async def coordinator_wrote(customer: Customer, escalation_id: str, *, platform, http, events):
    """The region's coordinator acknowledges and resolves an escalation of the customer's
    case with notes quoting them, then escalates the case by hand with such a reason."""
    camille = platform.auth("camille", "coordinator", (platform.regions.eu_west,))
    base = f"{platform.url('escalation')}/v1"
    for action, note in (("acknowledge", "J'appelle"), ("resolve", "Rappelée:")):
        path = f"{base}/escalations/{escalation_id}/{action}"
        answer = await http.post(path, json={"note": f"{note} {customer.name}"}, headers=camille)
        assert answer.status_code == 200, answer.text
    await events.wait_for(EscalationResolved, lambda e: e.escalation_id == escalation_id)
    reason = {"reason": f"{customer.name} menace de partir ({customer.phone})"}
    path = f"{base}/cases/{customer.case_id}/escalations"
    manual = await http.post(path, json=reason, headers=camille)
    assert manual.status_code == 201, manual.text
    await events.wait_for(
        EscalationRaised,
        lambda e: e.case_id == customer.case_id and e.trigger.value == "manual",
    )


async def opened(http, intake_url: str, service: dict[str, str], event: Any) -> str:
    """The event's sealed fields opened with the customer's key from intake, as text."""
    answer = await http.get(f"{intake_url}/v1/personal-keys/{event.sealed.key_id}", headers=service)
    assert answer.status_code == 200, answer.text
    key = base64.b64decode(answer.json()["key"])
    return str(open_sealed(SealedFields(**event.sealed.model_dump()), key=key))


async def gdpr(platform, *args: str) -> dict[str, Any]:
    """``switchboard-gdpr`` run for real against the platform; its JSON output."""
    urls = [f"--{service}={platform.url(service)}" for service in SERVICES]
    if args[0] == "erase":
        urls = urls[:1]
    token = platform.auth("e2e-gdpr-admin", "admin")["Authorization"].removeprefix("Bearer ")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "switchboard.gdpr", *args, *urls,
        env={**os.environ, "SWITCHBOARD_GDPR_TOKEN": token},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    document: dict[str, Any] = json.loads(out)
    return document


async def export(platform, customer_id: str) -> dict[str, Any]:
    """What each service holds of the customer (the export of GDPR art. 15)."""
    services: dict[str, Any] = (await gdpr(platform, "export", customer_id))["services"]
    return services


async def agent_kpis(http, feedback_url: str, admin, region: str, agent: str) -> dict[str, Any]:
    answer = await http.get(
        f"{feedback_url}/kpis", params={"region": region, "agent": agent}, headers=admin
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["total"]


def _around(text: str, needle: str) -> str:
    at = text.find(needle)
    return text[max(0, at - 200) : at + 200] if at >= 0 else ""
