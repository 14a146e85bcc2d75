"""Merging customer records over intake's HTTP API, in-process on SQLite: the automatic
proposal when one contact's identities lead to two customers, who may merge, what moves,
the merged id leading to the survivor, CustomerMerged for the other services."""

from switchboard.contracts.events import CustomerMerged

from .people_and_adapters import adapter, bearer, post


async def test_two_records_of_one_person_are_proposed_then_merged(intake, app, admin):
    mail = await adapter(app, admin, "email")
    chat = await adapter(app, admin, "chat")
    ann = await post(
        app,
        mail,
        {
            "sender": "ann@example.dk",
            "to": ["support@acme.test"],
            "subject": "Faktura",
            "text_body": "Hej",
            "message_id": "<a1@example.dk>",
        },
    )
    by_phone = await post(
        app,
        chat,
        {"session_id": "s1", "visitor": {"id": "v1", "phone": "+4520123456"}, "message": "Hej"},
    )
    survivor, merged = ann["customer_id"], by_phone["customer_id"]
    assert survivor != merged
    both = await post(  # one contact with both identities: probably one person
        app,
        chat,
        {
            "session_id": "s2",
            "visitor": {"id": "v2", "email": "ann@example.dk", "phone": "+4520123456"},
            "message": "Hej igen",
        },
    )
    nordics = bearer(intake, "camilla", "coordinator", regions=["nordics"])
    dach = bearer(intake, "greta", "coordinator", regions=["dach"])
    proposals = await app.get("/v1/customer-merge-proposals", headers=nordics)
    assert proposals.status_code == 200, proposals.text
    [proposal] = proposals.json()
    assert sorted(proposal["customer_ids"]) == sorted([survivor, merged])
    assert proposal["contact_id"] == both["contact_id"]
    assert (await app.get("/v1/customer-merge-proposals", headers=dach)).json() == []
    agent = bearer(intake, "a1", "agent")
    assert (await app.get("/v1/customer-merge-proposals", headers=agent)).status_code == 403

    path = f"/v1/customers/{survivor}/merge"
    for refused, status in ((agent, 403), (dach, 403)):
        answer = await app.post(path, json={"merged_id": merged}, headers=refused)
        assert answer.status_code == status, answer.text
    done = await app.post(path, json={"merged_id": merged}, headers=nordics)
    assert done.status_code == 200, done.text
    record = done.json()
    assert record["id"] == survivor
    assert record["merged_ids"] == [merged]
    assert {(i["kind"], i["value"]) for i in record["identities"]} >= {
        ("email", "ann@example.dk"),
        ("phone", "+4520123456"),
        ("chat_visitor", "v1"),
    }
    assert by_phone["case_id"] in {case["case_id"] for case in record["cases"]}
    [event] = await intake.published(CustomerMerged)
    assert (event.survivor_id, event.merged_id) == (survivor, merged)
    assert by_phone["case_id"] in event.case_ids
    assert (event.by.kind, event.by.id) == ("coordinator", "camilla")

    old = await app.get(f"/v1/customers/{merged}", headers=admin)
    assert old.json()["id"] == survivor, "the merged id leads to the survivor"
    noted = await app.post(
        f"/v1/customers/{merged}/notes", json={"text": "Ét nummer"}, headers=nordics
    )
    assert noted.status_code == 201, noted.text
    survivor_notes = (await app.get(f"/v1/customers/{survivor}", headers=admin)).json()["notes"]
    assert [n["text"] for n in survivor_notes] == ["Ét nummer"], "a note by the old id lands here"
    found = await app.get("/v1/customers", params={"phone": "+4520123456"}, headers=admin)
    assert found.json()["id"] == survivor
    assert (await app.get("/v1/customer-merge-proposals", headers=admin)).json() == []

    for body, status in (
        ({"merged_id": merged}, 409),  # merged already
        ({"merged_id": survivor}, 409),  # into itself
        ({"merged_id": "nobody"}, 404),
        ({"merged_id": "with space"}, 422),
    ):
        answer = await app.post(path, json=body, headers=admin)
        assert answer.status_code == status, (body, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")

    later = await post(
        app,
        chat,
        {"session_id": "s1", "visitor": {"id": "v1"}, "message": "Er der nyt?"},
    )
    assert later["customer_id"] == survivor, "the merged customer's identities lead here"
    missing = await app.post(
        "/v1/customer-merge-proposals/dismiss",
        json={"customer_ids": [survivor, "nobody"]},
        headers=admin,
    )
    assert missing.status_code == 404
