"""Consents on the customer record over intake's HTTP API, in-process on SQLite: recording a
withdrawal and reading it back, who may, bad input; a withdrawn survey consent keeps the
survey from the adapter; a merge keeps the latest change of each purpose."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from switchboard.contracts.events import SurveyDeliveryChanged, SurveyRequested
from switchboard.servicekit.tables import deliveries

from ..builders import assigned
from .people_and_adapters import adapter, bearer, post

HEJ = {"session_id": "s1", "visitor": {"id": "v1"}, "message": "Hej, hvor er min pakke?"}


def consent(purpose: str, state: str, source: str = "agent", **more) -> dict:
    return {"purpose": purpose, "state": state, "source": source, **more}


def ago(minutes: int) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()


async def test_an_agent_records_a_withdrawal_that_the_record_shows(intake, app, admin):
    chat = await adapter(app, admin, "chat")
    opened = await post(app, chat, HEJ)
    customer_id = opened["customer_id"]
    await intake.deliver(assigned(opened["case_id"], "a1", datetime.now(UTC)))
    agent = bearer(intake, "a1", "agent")
    path = f"/v1/customers/{customer_id}/consents"

    empty = await app.get(path, headers=agent)
    assert empty.status_code == 200, empty.text
    assert empty.json() == {
        "customer_id": customer_id,
        "current": {"surveys": None, "marketing": None},
        "history": [],
    }
    withdrawn = await app.post(
        path, json=consent("surveys", "withdrawn", note="Ønsker ingen mails"), headers=agent
    )
    assert withdrawn.status_code == 201, withdrawn.text
    surveys = withdrawn.json()["current"]["surveys"]
    assert (surveys["state"], surveys["by"], surveys["source"], surveys["note"]) == (
        "withdrawn",
        "agent:a1",
        "agent",
        "Ønsker ingen mails",
    )
    # An older grant brought over from the CRM does not undo the newer withdrawal.
    imported = await app.post(
        path, json=consent("surveys", "granted", "import", at=ago(60 * 24)), headers=admin
    )
    assert imported.status_code == 201, imported.text
    after = (await app.get(path, headers=agent)).json()
    assert after["current"]["surveys"]["state"] == "withdrawn"
    assert [(c["state"], c["by"]) for c in after["history"]] == [
        ("withdrawn", "agent:a1"),
        ("granted", "admin:ops"),
    ]
    marketing = await app.post(
        path, json=consent("marketing", "granted", "customer"), headers=agent
    )
    assert marketing.status_code == 201, marketing.text

    record = (await app.get(f"/v1/customers/{customer_id}", headers=agent)).json()
    assert {purpose: c["state"] for purpose, c in record["consents"].items()} == {
        "surveys": "withdrawn",
        "marketing": "granted",
    }


async def test_consents_are_for_those_who_may_read_the_record(intake, app, admin):
    chat = await adapter(app, admin, "chat")
    opened = await post(app, chat, HEJ)
    path = f"/v1/customers/{opened['customer_id']}/consents"
    nordics = bearer(intake, "camilla", "coordinator", regions=["nordics"])
    for allowed in (nordics, admin):
        assert (await app.get(path, headers=allowed)).status_code == 200
        written = await app.post(path, json=consent("marketing", "withdrawn"), headers=allowed)
        assert written.status_code == 201, written.text
    for refused in (bearer(intake, "a2", "agent"), bearer(intake, "g", "coordinator", ["dach"])):
        for answer in (
            await app.get(path, headers=refused),
            await app.post(path, json=consent("surveys", "withdrawn"), headers=refused),
        ):
            assert answer.status_code == 403, answer.text
            assert answer.headers["content-type"].startswith("application/problem+json")
    for answer in (
        await app.get("/v1/customers/nobody/consents", headers=admin),
        await app.post(
            "/v1/customers/nobody/consents", json=consent("surveys", "granted"), headers=admin
        ),
    ):
        assert answer.status_code == 404, answer.text
    assert (await app.get(path)).status_code == 401


async def test_only_an_admin_records_consents_imported_from_another_system(intake, app, admin):
    chat = await adapter(app, admin, "chat")
    opened = await post(app, chat, HEJ)
    path = f"/v1/customers/{opened['customer_id']}/consents"
    await intake.deliver(assigned(opened["case_id"], "a1", datetime.now(UTC)))
    for who in (bearer(intake, "a1", "agent"), bearer(intake, "c", "coordinator", ["nordics"])):
        refused = await app.post(path, json=consent("surveys", "granted", "import"), headers=who)
        assert refused.status_code == 403, refused.text
        assert "import" in refused.json()["detail"]
        told = await app.post(path, json=consent("surveys", "withdrawn", "agent"), headers=who)
        assert told.status_code == 201, told.text
    imported = await app.post(path, json=consent("surveys", "granted", "import"), headers=admin)
    assert imported.status_code == 201, imported.text


async def test_bad_consent_changes_are_refused_with_the_reason(intake, app, admin):
    chat = await adapter(app, admin, "chat")
    path = f"/v1/customers/{(await post(app, chat, HEJ))['customer_id']}/consents"
    in_an_hour = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    for body in (
        consent("newsletters", "withdrawn"),  # no such purpose
        consent("surveys", "maybe"),
        consent("surveys", "withdrawn", "telepathy"),
        {"purpose": "surveys", "state": "withdrawn"},  # no source
        consent("surveys", "withdrawn", extra=True),
        consent("surveys", "withdrawn", note="x" * 1001),
        consent("surveys", "withdrawn", note="   "),
        consent("surveys", "withdrawn", at="2026-12-07T12:00:00"),  # no time zone
        consent("surveys", "withdrawn", at=in_an_hour),
    ):
        answer = await app.post(path, json=body, headers=admin)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert (await app.get(path, headers=admin)).json()["history"] == []


async def test_no_survey_goes_to_a_customer_who_withdrew_consent(tmp_path, intake, app, admin):
    spec = {"id": "chat-nordics", "channel": "chat", "region": "nordics"}
    registered = await app.post(
        "/v1/admin/adapters", json=spec | {"outbound_url": "http://127.0.0.1:9/c"}, headers=admin
    )
    chat = registered.json()
    declined = await post(app, chat, HEJ)
    willing = await post(app, chat, HEJ | {"session_id": "s2", "visitor": {"id": "v2"}})
    withdrawal = consent("surveys", "withdrawn", "customer")
    path = f"/v1/customers/{declined['customer_id']}/consents"
    assert (await app.post(path, json=withdrawal, headers=admin)).status_code == 201

    await intake.deliver(survey_requested(declined, "survey-1"), survey_requested(willing, "s-2"))

    due = await deliveries_due(intake)
    assert due == ["s-2"], "only the willing customer's survey goes to the adapter"
    messages = await app.get(f"/v1/cases/{declined['case_id']}/messages", headers=admin)
    survey = messages.json()["messages"][-1]
    assert survey["sender"]["id"] == "feedback"
    assert survey["delivery"] == "failed"
    assert "withdrew their consent to surveys" in survey["delivery_error"]
    [told] = await intake.published(SurveyDeliveryChanged)  # feedback counts it undelivered
    assert (told.survey_id, told.state, told.reason) == (
        "survey-1",
        "failed",
        survey["delivery_error"],
    )


async def test_a_merge_keeps_the_latest_change_of_each_purpose(intake, app, admin):
    chat = await adapter(app, admin, "chat")
    survivor = (await post(app, chat, HEJ))["customer_id"]
    merged = (await post(app, chat, HEJ | {"session_id": "s2", "visitor": {"id": "v2"}}))[
        "customer_id"
    ]
    for customer_id, changes in (
        (survivor, [consent("surveys", "granted", at=ago(30))]),
        (survivor, [consent("marketing", "withdrawn", at=ago(40))]),
        (merged, [consent("surveys", "withdrawn", at=ago(20))]),
        (merged, [consent("marketing", "granted", at=ago(10))]),
    ):
        for change in changes:
            recorded = await app.post(
                f"/v1/customers/{customer_id}/consents", json=change, headers=admin
            )
            assert recorded.status_code == 201, recorded.text

    done = await app.post(
        f"/v1/customers/{survivor}/merge", json={"merged_id": merged}, headers=admin
    )
    assert done.status_code == 200, done.text
    assert {p: c["state"] for p, c in done.json()["consents"].items()} == {
        "surveys": "withdrawn",  # the merged record's later withdrawal is not lost
        "marketing": "granted",  # its later grant wins over an older withdrawal
    }
    by_old_id = (await app.get(f"/v1/customers/{merged}/consents", headers=admin)).json()
    assert by_old_id["customer_id"] == survivor
    assert len(by_old_id["history"]) == 4, "both histories are kept"


def survey_requested(opened: dict, survey_id: str) -> SurveyRequested:
    now = datetime.now(UTC)
    return SurveyRequested(
        survey_id=survey_id,
        case_id=opened["case_id"],
        customer_id=opened["customer_id"],
        channel="chat",
        language="da",
        region="nordics",
        link=f"https://surveys.acme.test/s/{survey_id}",
        questions=("csat",),
        requested_at=now,
        expires_at=now + timedelta(days=7),
    )


async def deliveries_due(intake) -> list[str]:
    """The message ids queued for intake's delivery sender to post to adapters."""
    async with intake.service.transaction() as uow:
        return list(await uow.session.scalars(select(deliveries.c.message_id)))
