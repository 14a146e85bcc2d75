"""The inbound-mail endpoints in-process on SQLite: each service's POST becomes one contact
however often it is retried; Basic credentials (the adapter id and its secret, the previous
one during the grace period) or Mailgun's signature are required, and a wrong one is a 401
that creates nothing; an auto-reply is answered 200 and makes no contact; a payload that can
never be e-mail gets the code that stops the service's retries, an oversized one a 413."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select

from switchboard.contracts.events import ContactReceived
from switchboard.intake.adapters.orm import AdapterRow, ContactRow
from switchboard.intake.entrypoints.app import HTTP_API
from switchboard.servicekit.service import service_app
from switchboard.servicekit.testing.in_process import InProcessService

from ..builders import assigned
from .inbound_mail_samples import (
    AUTO_REPLY_HEADERS,
    MAILGUN_BOUNDARY,
    MAILGUN_KEY,
    SENDGRID_BOUNDARY,
    form_type,
    mailgun_parsed_now,
    mailgun_raw,
    mailgun_signed,
    multipart,
    postmark,
    sendgrid_parsed,
    wire,
)
from .people_and_adapters import bearer

MAX_BODY_BYTES = 32 * 1024
INBOUND_MAIL_MAX_BYTES = 512 * 1024
URLENCODED = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def intake(tmp_path, definition):
    service = await InProcessService.start(
        definition,
        tmp_path,
        max_body_bytes=MAX_BODY_BYTES,
        inbound_mail_max_bytes=INBOUND_MAIL_MAX_BYTES,
    )
    yield service
    await service.close()


@pytest.fixture
async def client(intake):
    transport = httpx.ASGITransport(app=service_app(intake.service, HTTP_API))
    async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
        yield client


def admin(intake) -> dict[str, str]:
    return bearer(intake, "ops", "admin")


async def register(client, intake, adapter_id: str = "mail-nordics", **spec) -> dict:
    body = {"id": adapter_id, "channel": "email", "region": "nordics", **spec}
    registered = await client.post("/v1/admin/adapters", json=body, headers=admin(intake))
    assert registered.status_code == 201, registered.text
    return registered.json()


def basic(user: str, password: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def contacts(intake) -> int:
    async with intake.deps.sessions() as session:
        return (await session.execute(select(func.count()).select_from(ContactRow))).scalar_one()


def problem(answer: httpx.Response, status: int) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    return answer.json()


async def send_sendgrid(client, adapter: dict, body: bytes, password: str | None = None):
    return await client.post(
        f"/v1/providers/sendgrid/{adapter['id']}",
        content=body,
        headers={"content-type": form_type(SENDGRID_BOUNDARY)}
        | basic(adapter["id"], password or adapter["secret"]),
    )


async def send_postmark(client, adapter: dict, document: dict | bytes, password: str | None = None):
    content = document if isinstance(document, bytes) else json.dumps(document).encode()
    return await client.post(
        f"/v1/providers/postmark/{adapter['id']}",
        content=content,
        headers={"content-type": "application/json"}
        | basic(adapter["id"], password or adapter["secret"]),
    )


async def test_sendgrid_posts_become_one_contact_each_and_need_the_basic_credentials(
    client, intake
):
    adapter = await register(client, intake)
    body = wire("sendgrid_parsed.form")
    for wrong in ("", "nope", adapter["secret"] + "x"):
        refused = await send_sendgrid(client, adapter, body, password=wrong or " ")
        problem(refused, 401)
        assert refused.headers["www-authenticate"].startswith("Basic ")
    unknown = await client.post(
        "/v1/providers/sendgrid/nobody",
        content=body,
        headers={"content-type": form_type(SENDGRID_BOUNDARY)} | basic("nobody", "x"),
    )
    assert problem(unknown, 401)["detail"] == problem(refused, 401)["detail"]
    missing = await client.post(
        f"/v1/providers/sendgrid/{adapter['id']}",
        content=body,
        headers={"content-type": form_type(SENDGRID_BOUNDARY)},
    )
    problem(missing, 401)
    assert await contacts(intake) == 0

    first = await send_sendgrid(client, adapter, body)
    assert first.status_code == 200, first.text
    assert first.json()["outcome"] == "opened"
    again = await send_sendgrid(client, adapter, body)  # SendGrid retries
    assert (again.status_code, again.json()["duplicate"]) == (200, True)
    assert again.headers["idempotent-replayed"] == "true"
    raw = await send_sendgrid(client, adapter, wire("sendgrid_raw.form"))
    assert raw.status_code == 200, raw.text
    assert await contacts(intake) == 2
    received = await intake.published(ContactReceived)
    assert [event.contact_id for event in received] == [
        first.json()["contact_id"],
        raw.json()["contact_id"],
    ]


async def test_basic_passwords_rotate_with_a_grace_period(client, intake):
    adapter = await register(client, intake)
    rotated = await client.post(
        f"/v1/admin/adapters/{adapter['id']}/rotate-secret", headers=admin(intake)
    )
    new = rotated.json()["secret"]
    old = await send_postmark(client, adapter, postmark())
    fresh = await send_postmark(
        client, adapter, postmark(MessageID="second", Headers=[]), password=new
    )
    assert (old.status_code, fresh.status_code) == (200, 200), (old.text, fresh.text)
    assert await contacts(intake) == 2


async def test_postmark_posts_and_what_stops_its_retries(client, intake):
    adapter = await register(client, intake)
    first = await send_postmark(client, adapter, postmark("postmark_docs_example.json"))
    assert first.status_code == 200, first.text
    again = await send_postmark(client, adapter, postmark("postmark_docs_example.json"))
    assert again.json()["duplicate"] is True  # the same MessageID, though no Message-ID
    assert await contacts(intake) == 1

    # Postmark retries anything but 200 and stops at a 403: a hopeless payload gets it.
    for hopeless in (b"{not json", b"[]", json.dumps({"TextBody": "no sender"}).encode()):
        refused = await send_postmark(client, adapter, hopeless)
        assert problem(refused, 403)["title"] == "Not an e-mail intake can read"
    wrong = await send_postmark(client, adapter, postmark(), password="nope")
    problem(wrong, 401)
    assert await contacts(intake) == 1


async def test_auto_replies_are_answered_200_and_make_no_contact(client, intake):
    adapter = await register(client, intake)
    ignored = await send_sendgrid(
        client, adapter, sendgrid_parsed(AUTO_REPLY_HEADERS, "Olen lomalla.")
    )
    assert ignored.status_code == 200, ignored.text
    assert ignored.json() == {
        "outcome": "ignored_auto_reply",
        "reason": "Auto-Submitted: auto-replied",
        "message_id": "ooo-1@kunde.fi",
        "failed_reply_id": None,
    }
    auto = postmark(Headers=[{"Name": "Auto-Submitted", "Value": "auto-replied"}])
    assert (await send_postmark(client, adapter, auto)).json()["outcome"] == "ignored_auto_reply"
    assert await contacts(intake) == 0


async def test_sendgrid_hopeless_and_oversized_posts(client, intake):
    adapter = await register(client, intake)
    not_a_form = await send_sendgrid(client, adapter, b"hello")
    assert problem(not_a_form, 422)["errors"][0]["field"] == "body"
    no_sender = await send_sendgrid(
        client, adapter, multipart([("headers", "Subject: hi\r\n"), ("text", "hi")])
    )
    assert problem(no_sender, 422)["errors"][0]["field"] == "From"

    def with_attachment(size: int) -> bytes:
        return multipart(
            [
                ("headers", f"From: a@kunde.dk\r\nMessage-ID: <scan-{size}@kunde.dk>\r\n"),
                ("text", "Scan attached."),
                ("attachment1:scan.pdf:application/pdf", b"x" * size),
            ]
        )

    huge = await send_sendgrid(client, adapter, with_attachment(INBOUND_MAIL_MAX_BYTES))
    assert "exceeds" in problem(huge, 413)["detail"]  # retried: raise the limit, it arrives
    assert await contacts(intake) == 0
    # Over the app's max_body_bytes, within the inbound-mail limit: taken, as metadata
    # (and parsed off the event loop: it is over IN_LOOP_BYTES).
    large = await send_sendgrid(client, adapter, with_attachment(10 * MAX_BODY_BYTES))
    assert large.status_code == 200, large.text
    case = large.json()["case_id"]
    await intake.deliver(assigned(case, "a1", datetime.now(UTC)))
    page = await client.get(f"/v1/cases/{case}/messages", headers=bearer(intake, "a1", "agent"))
    [message] = page.json()["messages"]
    assert message["attachments"] == [
        {
            "filename": "scan.pdf",
            "content_type": "application/pdf",
            "size_bytes": 10 * MAX_BODY_BYTES,
        }
    ]
    json_elsewhere = await client.post(
        "/v1/adapters/mail-nordics/contacts/email", content=b"x" * (2 * MAX_BODY_BYTES)
    )
    problem(json_elsewhere, 413)
    assert await contacts(intake) == 1


async def test_a_mailgun_adapter_keeps_its_signing_key_sealed_and_sends_nothing_itself(
    client, intake
):
    adapter = await register(
        client,
        intake,
        "mailgun-nordics",
        provider="mailgun",
        credentials={"signing_key": MAILGUN_KEY * 3},
    )
    assert MAILGUN_KEY * 3 not in json.dumps(adapter)
    async with intake.deps.sessions() as session:
        row = await session.get(AdapterRow, adapter["id"])
    stored = json.loads(intake.deps.secret_box.open(row.provider_credential))
    assert stored == {"signing_key": MAILGUN_KEY * 3}
    view = await intake.deps.adapters.get(adapter["id"])
    assert view is not None
    assert not view.sends  # receive only, until it has an outbound_url
    for refused in (
        {"id": "mg2", "channel": "email", "provider": "mailgun"},
        {
            "id": "mg3",
            "channel": "chat",
            "provider": "mailgun",
            "credentials": {"signing_key": "k"},
        },
        {"id": "mg4", "channel": "email", "credentials": {"signing_key": "k" * 20}},
        {
            "id": "mg5",
            "channel": "email",
            "provider": "mailgun",
            "credentials": {"signing_key": "a b"},
        },
    ):
        answer = await client.post("/v1/admin/adapters", json=refused, headers=admin(intake))
        assert answer.status_code == 422, answer.text
    changed = await client.patch(
        f"/v1/admin/adapters/{adapter['id']}",
        json={
            "credentials": {"signing_key": "key-0123456789abcdef"},
            "outbound_url": "http://127.0.0.1:9/out",
        },
        headers=admin(intake),
    )
    assert changed.status_code == 200, changed.text
    async with intake.deps.sessions() as session:
        row = await session.get(AdapterRow, adapter["id"])
    assert "key-0123456789abcdef" in intake.deps.secret_box.open(row.provider_credential)
    not_for_it = await client.patch(
        "/v1/admin/adapters/mail-x",
        json={"credentials": {"signing_key": "k" * 20}},
        headers=admin(intake),
    )
    assert not_for_it.status_code == 404
    generic = await register(client, intake, "mail-generic")
    refused = await client.patch(
        f"/v1/admin/adapters/{generic['id']}",
        json={"credentials": {"signing_key": "k" * 20}},
        headers=admin(intake),
    )
    assert refused.status_code == 422, refused.text


async def test_mailgun_posts_are_verified_by_its_signature_and_taken_once(client, intake, caplog):
    caplog.set_level("INFO", logger="switchboard.intake.entrypoints.inbound_mail_api")
    adapter = await register(
        client,
        intake,
        "mailgun-nordics",
        provider="mailgun",
        credentials={"signing_key": MAILGUN_KEY},
    )
    path = f"/v1/providers/mailgun/{adapter['id']}"
    parsed = {"content-type": form_type(MAILGUN_BOUNDARY)}

    captured = await client.post(path, content=wire("mailgun_parsed.form"), headers=parsed)
    refusal = problem(captured, 401)  # its own signature is from 2013
    assert "more than 5 minutes off" in caplog.text
    body = mailgun_parsed_now()
    first = await client.post(path, content=body, headers=parsed)
    assert first.status_code == 200, first.text
    again = await client.post(path, content=body, headers=parsed)  # Mailgun retries
    assert again.json()["duplicate"] is True
    resigned = await client.post(path, content=mailgun_parsed_now(), headers=parsed)
    assert resigned.json()["contact_id"] == first.json()["contact_id"]  # a new token, same mail

    raw = await client.post(f"{path}/mime", content=mailgun_raw(), headers=URLENCODED)
    assert raw.status_code == 200, raw.text
    assert await contacts(intake) == 2

    fields = mailgun_signed()
    replayed = mailgun_raw(**fields)
    assert (await client.post(path, content=replayed, headers=URLENCODED)).status_code == 200
    other = replayed.replace(b"subject=Test", b"subject=Other")
    assert problem(await client.post(path, content=other, headers=URLENCODED), 401) == refusal
    assert "the token was used for another message" in caplog.text
    wrong_key = mailgun_raw(**mailgun_signed("not-the-key"))
    assert problem(await client.post(path, content=wrong_key, headers=URLENCODED), 401) == refusal
    assert "the signature does not match" in caplog.text
    stale = mailgun_raw(**mailgun_signed(at=time.time() - 600))
    assert problem(await client.post(path, content=stale, headers=URLENCODED), 401) == refusal
    unknown = await client.post("/v1/providers/mailgun/nobody", content=body, headers=parsed)
    assert problem(unknown, 401) == refusal
    generic = await register(client, intake, "mail-generic")
    not_mailgun = await client.post(
        f"/v1/providers/mailgun/{generic['id']}", content=mailgun_raw(), headers=URLENCODED
    )
    problem(not_mailgun, 401)

    # Mailgun retries anything but 200 and 406: a signed payload that is no e-mail gets 406.
    hopeless = multipart(
        [(name, value) for name, value in mailgun_signed().items()] + [("body-plain", "hi")],
        MAILGUN_BOUNDARY,
    )
    problem(await client.post(path, content=hopeless, headers=parsed), 406)
    assert await contacts(intake) == 2

    # A new signing key by PATCH: until the grace ends, posts signed with the old one count.
    new_key = "key-" + "9" * 28
    changed = await client.patch(
        f"/v1/admin/adapters/{adapter['id']}",
        json={"credentials": {"signing_key": new_key}},
        headers=admin(intake),
    )
    assert changed.status_code == 200, changed.text
    for key in (MAILGUN_KEY, new_key):
        signed = mailgun_raw(**mailgun_signed(key))
        taken = await client.post(f"{path}/mime", content=signed, headers=URLENCODED)
        assert taken.status_code == 200, (key, taken.text)
    other_key = mailgun_raw(**mailgun_signed("key-" + "8" * 28))
    problem(await client.post(f"{path}/mime", content=other_key, headers=URLENCODED), 401)
