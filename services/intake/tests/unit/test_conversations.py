"""A case's conversation over intake's HTTP API, in-process on SQLite: who may read it (the
agent holding the case, its region's coordinators, admins), every message in order with its
full text, e-mail HTML sanitised, attachments' metadata, pages by cursor."""

from datetime import UTC, datetime, timedelta

from switchboard.contracts.events import CaseTransferred
from switchboard.contracts.events.common import Actor, ActorKind, Channel

from ..builders import assigned
from .people_and_adapters import adapter, bearer, post

LONG_TEXT = "Hej, min faktura er forkert. " * 200  # far past any excerpt on the topics
HTML = (
    '<p onclick="steal()">Se vedhæftet <b>faktura</b>'
    '<script>alert("x")</script><a href="javascript:alert(1)">her</a>'
    '<a href="https://acme.test/faktura">link</a><img src="cid:inv1"></p>'
)


async def test_the_agent_holding_the_case_reads_every_message_in_full_and_others_may_not(
    intake, app, admin
):
    mail = await adapter(app, admin, "email")
    first = await post(
        app,
        mail,
        {
            "sender": "ann@example.dk",
            "sender_name": "Ann Jensen",
            "to": ["support@acme.test"],
            "subject": "Faktura 1234",
            "text_body": LONG_TEXT,
            "html_body": HTML,
            "message_id": "<m1@example.dk>",
            "attachments": [
                {"filename": "faktura.pdf", "content_type": "application/pdf", "size_bytes": 1234}
            ],
        },
    )
    case_id = first["case_id"]
    reply = await post(
        app,
        mail,
        {
            "sender": "ann@example.dk",
            "to": ["support@acme.test"],
            "subject": "Re: Faktura 1234",
            "text_body": "Har I set den?",
            "message_id": "<m2@example.dk>",
            "in_reply_to": "<m1@example.dk>",
        },
    )
    assert reply["case_id"] == case_id
    path = f"/v1/cases/{case_id}/messages"

    nobody_yet = await app.get(path, headers=bearer(intake, "a1", "agent"))
    assert nobody_yet.status_code == 403, "no agent holds the case yet"
    assert nobody_yet.headers["content-type"].startswith("application/problem+json")

    now = datetime.now(UTC)
    await intake.deliver(assigned(case_id, "a1", now))
    read = await app.get(path, headers=bearer(intake, "a1", "agent"))
    assert read.status_code == 200, read.text
    body = read.json()
    assert (body["case_id"], body["held_by"], body["region"]) == (case_id, "a1", "nordics")
    assert body["next"] is None
    one, two = body["messages"]
    assert one["text"] == LONG_TEXT, "the full text, not an excerpt"
    assert one["subject"] == "Faktura 1234"
    assert one["sender"] == {
        "kind": "customer",
        "id": first["customer_id"],
        "address": "ann@example.dk",
        "name": "Ann Jensen",
    }
    assert one["attachments"] == [
        {"filename": "faktura.pdf", "content_type": "application/pdf", "size_bytes": 1234}
    ]
    assert (one["direction"], one["delivery"], one["channel"]) == ("inbound", "received", "email")
    html = one["html"]
    for dangerous in ("<script", "onclick", "javascript:", "alert"):
        assert dangerous not in html
    assert "<b>faktura</b>" in html
    assert 'src="cid:inv1"' in html
    assert 'href="https://acme.test/faktura"' in html
    assert "noopener" in html
    assert (two["text"], two["html"], two["outcome"]) == ("Har I set den?", None, "joined")

    for who in (
        bearer(intake, "a2", "agent"),
        bearer(intake, "nils", "coordinator", regions=["dach"]),
    ):
        refused = await app.get(path, headers=who)
        assert refused.status_code == 403, refused.text
    for who in (bearer(intake, "camilla", "coordinator", regions=["nordics"]), admin):
        assert (await app.get(path, headers=who)).status_code == 200
    assert (await app.get(path)).status_code == 401
    unknown = await app.get("/v1/cases/no-such-case/messages", headers=admin)
    assert unknown.status_code == 404

    # Moved to a queue: nobody holds it; an older assignment arriving late changes nothing.
    await intake.deliver(
        CaseTransferred(
            case_id=case_id,
            region="nordics",
            channel=Channel.EMAIL,
            from_agent_id="a1",
            to_queue_id="nordics",
            by=Actor(kind=ActorKind.AGENT, id="a1"),
            enqueued_at=now - timedelta(seconds=30),
            transferred_at=now + timedelta(seconds=5),
        )
    )
    await intake.deliver(assigned(case_id, "a1", now + timedelta(seconds=1)))
    assert (await app.get(path, headers=bearer(intake, "a1", "agent"))).status_code == 403
    await intake.deliver(assigned(case_id, "a3", now + timedelta(seconds=9)))
    assert (await app.get(path, headers=bearer(intake, "a3", "agent"))).status_code == 200


async def test_a_long_conversation_comes_in_pages_oldest_first(intake, app, admin):
    chat = await adapter(app, admin, "chat")
    texts = [f"besked {number}" for number in range(7)]
    case_ids = {
        (
            await post(
                app,
                chat,
                {"session_id": "s1", "visitor": {"id": "v1", "name": "Ann"}, "message": text},
            )
        )["case_id"]
        for text in texts
    }
    [case_id] = case_ids
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 3, **({"after": cursor} if cursor else {})}
        page = await app.get(f"/v1/cases/{case_id}/messages", params=query, headers=admin)
        assert page.status_code == 200, page.text
        pages += 1
        seen += [m["text"] for m in page.json()["messages"]]
        cursor = page.json()["next"]
        if cursor is None:
            break
    assert (seen, pages) == (texts, 3)
    assert page.json()["messages"][0]["sender"]["name"] == "Ann"

    for bad in ({"after": "bm90LWEtY3Vyc29y"}, {"after": "%%%"}, {"limit": 0}, {"limit": 201}):
        refused = await app.get(f"/v1/cases/{case_id}/messages", params=bad, headers=admin)
        assert refused.status_code in (400, 422), (bad, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
