"""Customer records over intake's HTTP API, in-process on SQLite: look-up by any identity,
identities, language, case history with outcomes, notes; who may read and who may write."""

from datetime import UTC, datetime, timedelta

from switchboard.contracts.events import CaseResolved
from switchboard.contracts.events.common import Channel

from ..builders import assigned
from .people_and_adapters import adapter, bearer, post

DANISH = "Hej, jeg har ikke modtaget min pakke endnu, og jeg har ventet i over to uger nu."


async def test_a_customer_s_record_by_any_identity_with_history_and_notes(intake, app):
    admin = bearer(intake, "ops", "admin")
    mail = await adapter(app, admin, "email")
    chat = await adapter(app, admin, "chat")
    by_mail = await post(
        app,
        mail,
        {
            "sender": "Ann@Example.DK",
            "to": ["support@acme.test"],
            "subject": "Pakke",
            "text_body": DANISH,
            "message_id": "<p1@example.dk>",
        },
    )
    by_chat = await post(
        app,
        chat,
        {
            "session_id": "s1",
            "visitor": {"id": "v-77", "email": "ann@example.dk", "phone": "+45 20 12 34 56"},
            "message": DANISH,
        },
    )
    customer_id = by_mail["customer_id"]
    assert by_chat["customer_id"] == customer_id
    now = datetime.now(UTC)
    await intake.deliver(
        CaseResolved(
            case_id=by_mail["case_id"],
            region="nordics",
            channel=Channel.EMAIL,
            agent_id="a1",
            customer_id=customer_id,
            language="da",
            opened_at=now - timedelta(minutes=5),
            resolved_at=now,
            resolution_code="parcel_resent",
            first_contact_resolution=True,
            handle_seconds=120,
        )
    )
    await intake.deliver(assigned(by_chat["case_id"], "a1", now))

    for query in (
        {"email": "ANN@example.dk"},
        {"phone": "+4520123456"},
        {"chat_visitor": "v-77"},
    ):
        found = await app.get("/v1/customers", params=query, headers=admin)
        assert found.status_code == 200, (query, found.text)
        assert found.json()["id"] == customer_id
    record = found.json()
    assert record["language"] == "da"
    assert record["identities"] == [
        {"kind": "chat_visitor", "value": "v-77"},
        {"kind": "email", "value": "ann@example.dk"},
        {"kind": "phone", "value": "+4520123456"},
    ]
    cases = {case["case_id"]: case for case in record["cases"]}
    assert cases[by_mail["case_id"]]["status"] == "resolved"
    assert cases[by_mail["case_id"]]["resolution_code"] == "parcel_resent"
    assert cases[by_chat["case_id"]] | {"opened_at": None, "last_activity_at": None} == {
        "case_id": by_chat["case_id"],
        "channel": "chat",
        "region": "nordics",
        "status": "open",
        "subject": None,
        "opened_at": None,
        "last_activity_at": None,
        "resolved_at": None,
        "resolution_code": None,
        "held_by": "a1",
    }

    path = f"/v1/customers/{customer_id}"
    nordics = bearer(intake, "camilla", "coordinator", regions=["nordics"])
    dach = bearer(intake, "greta", "coordinator", regions=["dach"])
    for allowed in (bearer(intake, "a1", "agent"), nordics, admin):
        assert (await app.get(path, headers=allowed)).status_code == 200
    for refused in (bearer(intake, "a2", "agent"), dach):
        answer = await app.get(path, headers=refused)
        assert answer.status_code == 403, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")

    noted = await app.post(f"{path}/notes", json={"text": "Foretrækker e-mail."}, headers=nordics)
    assert noted.status_code == 201, noted.text
    assert noted.json()["author"] == "coordinator:camilla"
    for refused in (bearer(intake, "a1", "agent"), dach):
        answer = await app.post(f"{path}/notes", json={"text": "x"}, headers=refused)
        assert answer.status_code == 403, answer.text
    blank = await app.post(f"{path}/notes", json={"text": "   "}, headers=nordics)
    assert blank.status_code == 422
    notes = (await app.get(path, headers=bearer(intake, "a1", "agent"))).json()["notes"]
    assert [(n["author"], n["text"]) for n in notes] == [
        ("coordinator:camilla", "Foretrækker e-mail.")
    ]


async def test_look_ups_that_cannot_be_answered_say_why(intake, app):
    admin = bearer(intake, "ops", "admin")
    for query, status in (
        ({}, 400),
        ({"email": "a@example.dk", "phone": "+4520123456"}, 400),
        ({"email": "not an address"}, 400),
        ({"phone": "20123456"}, 400),  # national format: no country to read it in
        ({"social": "no-colon"}, 400),
        ({"email": "nobody@example.dk"}, 404),
        ({"social": "x:@Nobody_Here"}, 404),
    ):
        answer = await app.get("/v1/customers", params=query, headers=admin)
        assert answer.status_code == status, (query, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert (await app.get("/v1/customers/nobody", headers=admin)).status_code == 404
    assert (await app.get("/v1/customers/nobody")).status_code == 401
    missing = await app.post("/v1/customers/nobody/notes", json={"text": "x"}, headers=admin)
    assert missing.status_code == 404
