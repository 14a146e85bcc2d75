"""Erasing a customer over intake's HTTP API, in-process on SQLite: intake's own rows lose
every personal string of that customer (read back from every table of the database, the
outbound queue and the outbox included: the events' personal fields were sealed under the
customer's key, now destroyed), another customer's stay, the other services are asked by
``CustomerErasureRequested`` and their confirmations complete the status; the export holds
what intake had."""

import base64
import sqlite3
from datetime import UTC, datetime

from switchboard.contracts.events import (
    CaseOpened,
    CustomerErasedByEscalation,
    CustomerErasedByFeedback,
    CustomerErasedByIntake,
    CustomerErasedByRouting,
    CustomerErasureRequested,
    ReplyPosted,
)
from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.sealing import SealedFields, open_sealed

from ..builders import assigned
from .people_and_adapters import bearer, post

ERASED = ("Ingrid Holmqvist", "ingrid.h@example.se", "Min cykel gick sönder", "Kvitto 88123")
KEPT = ("Oskar Berg", "oskar.b@example.se", "Var är mitt paket")
REPLY = "Hej Ingrid, vi skickar en ny cykel"


def every_value(database) -> str:
    """Every row of every table, as text."""
    with sqlite3.connect(database) as db:
        names = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
        return "\n".join(
            repr(row) for name in names for row in db.execute(f'select * from "{name}"')
        )


async def mail(app, adapter, name, address, subject, text, n):
    return await post(
        app,
        adapter,
        {
            "sender": address,
            "sender_name": name,
            "to": ["support@acme.test"],
            "subject": subject,
            "text_body": text,
            "message_id": f"<m{n}@example.se>",
        },
    )


async def test_an_erased_customer_leaves_no_personal_string_in_intake(intake, app, admin, tmp_path):
    spec = {
        "id": "email-nordics",
        "channel": "email",
        "region": "nordics",
        "outbound_url": f"http://127.0.0.1:{free_port()}/never-sent",
    }
    inbox = (await app.post("/v1/admin/adapters", json=spec, headers=admin)).json()
    ingrid = await mail(app, inbox, *ERASED[:2], ERASED[3], ERASED[2], 1)
    oskar = await mail(app, inbox, *KEPT[:2], "Paket", KEPT[2], 2)
    customer = ingrid["customer_id"]
    await intake.deliver(assigned(ingrid["case_id"], "a1", datetime.now(UTC)))
    replied = await app.post(
        f"/v1/cases/{ingrid['case_id']}/replies",
        json={"text": REPLY},
        headers=bearer(intake, "a1", "agent"),
    )
    assert replied.status_code == 202, replied.text
    noted = await app.post(
        f"/v1/customers/{customer}/notes", json={"text": "Ringer helst efter 17"}, headers=admin
    )
    assert noted.status_code == 201, noted.text

    exported = await app.get(f"/v1/customers/{customer}/export", headers=admin)
    assert exported.status_code == 200, exported.text
    for known in (*ERASED, REPLY, "Ringer helst efter 17"):
        assert known in exported.text, known
    database = tmp_path / "intake.db"
    assert REPLY in every_value(database), "the reply waits in the outbound queue"

    # Data keys go to services (an admin token of a service: subject), not to people.
    refused = await app.get(f"/v1/personal-keys/{customer}", headers=admin)
    assert refused.status_code == 403, refused.text
    service = bearer(intake, "service:escalation", "admin")
    keyed = await app.get(f"/v1/personal-keys/{customer}", headers=service)
    assert keyed.status_code == 200, keyed.text
    key = base64.b64decode(keyed.json()["key"])
    assert repr(key) in every_value(database)
    agent = bearer(intake, "a1", "agent")
    assert (await app.post(f"/v1/customers/{customer}/erasure", headers=agent)).status_code == 403
    asked = await app.post(f"/v1/customers/{customer}/erasure", headers=admin)
    assert asked.status_code == 202, asked.text
    status = asked.json()
    assert (status["confirmed"].keys(), status["complete"]) == ({"intake"}, False)
    assert status["pending"] == ["routing", "escalation", "feedback"]

    stored = every_value(database)
    for known in (*ERASED, REPLY, "Ringer helst efter 17", "ingrid.h"):
        assert known not in stored, known
    for known in KEPT:
        assert known in stored, known
    assert oskar["case_id"] in stored
    assert ingrid["case_id"] in stored, "its case stays, as a count"
    assert repr(key) not in stored, "the key is destroyed"
    gone = await app.get(f"/v1/personal-keys/{customer}", headers=service)
    assert gone.status_code == 410, gone.text

    # The events were sealed before they reached the outbox: only the destroyed key opens them.
    [opened] = await intake.published(CaseOpened, where=lambda e: e.customer_id == customer)
    assert (opened.subject, opened.summary, opened.sealed.key_id) == (None, None, customer)
    fields = open_sealed(SealedFields(**opened.sealed.model_dump()), key=key)
    assert fields["subject"] == ERASED[3]
    [reply] = await intake.published(ReplyPosted, where=lambda e: e.customer_id == customer)
    assert reply.text == ""
    assert open_sealed(SealedFields(**reply.sealed.model_dump()), key=key)["text"] == REPLY

    again = await app.post(f"/v1/customers/{customer}/erasure", headers=admin)
    assert again.json()["erasure_id"] == status["erasure_id"]

    [requested] = await intake.published(CustomerErasureRequested)
    assert (requested.customer_id, requested.case_ids) == (customer, (ingrid["case_id"],))
    [own] = await intake.published(CustomerErasedByIntake)
    assert (own.erasure_id, own.service) == (status["erasure_id"], "intake")
    assert own.rows >= 6
    for kind in (CustomerErasedByRouting, CustomerErasedByEscalation, CustomerErasedByFeedback):
        service = kind.event_type.split(".")[1]
        await intake.deliver(
            kind(
                erasure_id=status["erasure_id"],
                customer_id=customer,
                service=service,
                erased_at=datetime.now(UTC),
            )
        )
    done = await app.get(f"/v1/customers/{customer}/erasure", headers=admin)
    assert done.json()["complete"] is True, done.text
    after = await app.get(f"/v1/customers/{customer}/export", headers=admin)
    assert not any(known in after.text for known in ERASED)
    other = await app.get(f"/v1/customers/{oskar['customer_id']}/export", headers=admin)
    assert all(known in other.text for known in KEPT)
