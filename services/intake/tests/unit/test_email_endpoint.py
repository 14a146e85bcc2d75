"""The raw e-mail endpoint in-process on SQLite, signed as the e-mail adapter: what a mail
server delivers gets a 2xx, automated mail opens nothing, only non-e-mail is refused, and
no body whatever gives a 5xx."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from switchboard.contracts.events import CaseOpened, ContactReceived
from switchboard.intake.domain.signatures import sign
from switchboard.intake.entrypoints.app import HTTP_API
from switchboard.servicekit.service import service_app

from .test_email_tolerance import MAIL, fixture, large_attachment_message

PERSON_WROTE = sorted(
    {path.name for path in MAIL.glob("*.eml")}
    - {"auto_replied.eml", "cpython_msg_16.eml", "cpython_msg_25.eml", "cpython_msg_43.eml"}
)


@pytest.fixture
async def mail(intake):
    transport = httpx.ASGITransport(app=service_app(intake.service, HTTP_API))
    async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
        token = intake.service.tokens.issue(subject="ops", role="admin", ttl=timedelta(minutes=5))
        adapter = await client.post(
            "/v1/admin/adapters",
            json={"id": "mail", "channel": "email"},
            headers={"Authorization": f"Bearer {token}"},
        )

        async def post(raw: bytes) -> httpx.Response:
            headers = sign(
                secret=adapter.json()["secret"],
                webhook_id=uuid.uuid4().hex,
                body=raw,
                at=datetime.now(UTC),
            )
            return await client.post(
                "/v1/adapters/mail/contacts/email",
                content=raw,
                headers={"content-type": "message/rfc822", **headers},
            )

        yield post


@pytest.mark.parametrize("name", PERSON_WROTE)
async def test_each_message_a_person_wrote_becomes_a_contact(intake, mail, name):
    answer = await mail(fixture(name))
    assert answer.status_code == 202, answer.text
    assert answer.json()["outcome"] == "opened"
    [received] = await intake.published(ContactReceived)
    assert received.contact_id == answer.json()["contact_id"]


@pytest.mark.parametrize(
    "name", ["auto_replied.eml", "cpython_msg_16.eml", "cpython_msg_25.eml", "cpython_msg_43.eml"]
)
async def test_auto_replies_and_bounces_are_taken_but_open_nothing(intake, mail, name):
    answer = await mail(fixture(name))
    assert answer.status_code == 202, answer.text
    assert answer.json()["outcome"] in {"ignored_auto_reply", "ignored_bounce"}
    assert answer.json()["reason"]
    assert await intake.published(ContactReceived) == []


async def test_an_auto_reply_to_an_open_case_neither_joins_nor_reopens_it(intake, mail):
    first = await mail(
        b"From: ann@example.dk\r\nTo: support@acme.test\r\nMessage-ID: <reply-1@acme.test>\r\n"
        b"Subject: Faktura\r\n\r\nMin faktura er forkert.\r\n"
    )
    assert first.status_code == 202, first.text
    ignored = await mail(fixture("auto_replied.eml"))
    assert ignored.json()["outcome"] == "ignored_auto_reply"
    assert len(await intake.published(ContactReceived)) == 1


async def test_several_in_reply_to_ids_thread_by_the_valid_ones(intake, mail):
    first = await mail(
        b"From: ann@other.example\r\nTo: support@acme.test\r\nMessage-ID: <ann-1@example.dk>\r\n"
        b"Subject: Faktura\r\n\r\nMin faktura er forkert.\r\n"
    )
    answer = await mail(fixture("duplicated_in_reply_to.eml"))
    assert answer.json()["outcome"] == "joined", "found by the second id of In-Reply-To"
    assert answer.json()["case_id"] == first.json()["case_id"]
    [opened] = await intake.published(CaseOpened)
    assert opened.case_id == first.json()["case_id"]


async def test_a_large_attachment_is_taken_and_a_body_over_the_limit_is_413(mail):
    taken = await mail(large_attachment_message(600_000))
    assert taken.status_code == 202, taken.text
    too_large = await mail(large_attachment_message(2_000_000))
    assert too_large.status_code == 413
    assert too_large.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("raw", [b"", b"\x89PNG\r\n\x1a\n\x00\x00", b"hello, no headers here"])
async def test_what_is_not_email_is_422_saying_why(mail, raw):
    refused = await mail(raw)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "header" in refused.json()["detail"]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    raw=st.one_of(
        st.binary(max_size=3000),
        st.lists(
            st.sampled_from(
                [
                    b"From: a@example.com",
                    b"From: =?x?q?\xff?= <@@>",
                    b"To: undisclosed-recipients:;",
                    b"In-Reply-To: <<<>>> <a@b.c> <a@b.c>",
                    b"References: \xff\xfe <x@y.z>",
                    b"Content-Type: multipart/mixed; boundary=",
                    b"Content-Type: multipart/report; report-type=delivery-status",
                    b"Content-Type: text/html; charset=no-such",
                    b"Content-Transfer-Encoding: base64",
                    b"Content-Disposition: attachment; filename*=x''%ff%fe",
                    b"--",
                ]
            ),
            max_size=8,
        ).map(lambda lines: b"\r\n".join(lines)),
    ),
    body=st.binary(max_size=500),
)
async def test_no_body_whatever_gets_a_5xx(mail, raw, body):
    answer = await mail(raw + b"\r\n\r\n" + body)
    assert answer.status_code < 500, answer.text
    assert answer.status_code in {202, 400, 413, 422}
