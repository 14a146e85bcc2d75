"""A bounce of a reply intake sent, arriving through an inbound-mail service's raw variant
(SendGrid's ``email``), fails that reply exactly as when it arrives as raw mail — and is
answered 200, so the service does not retry it."""

from __future__ import annotations

import base64

from switchboard.contracts.events import ContactReceived, ReplyDeliveryChanged

from ..builders import assigned
from .inbound_mail_samples import form_type, multipart
from .people_and_adapters import bearer
from .test_replies import client, quick, quick_now, send_until_settled  # noqa: F401
from .test_smtp_replies import dsn, open_case, register_relay_adapter, relay  # noqa: F401


async def test_a_bounce_through_sendgrid_fails_the_reply_it_returns(quick, client, relay):  # noqa: F811
    _, port = relay
    adapter = await register_relay_adapter(client, bearer(quick, "ops", "admin"), port)
    case_id = await open_case(client, adapter, "ann@example.dk")
    await quick.deliver(assigned(case_id, "a1", quick_now()))
    agent = bearer(quick, "a1", "agent")
    posted = await client.post(f"/v1/cases/{case_id}/replies", json={"text": "Hej"}, headers=agent)
    reply = posted.json()
    await send_until_settled(quick, rounds=5)

    credentials = base64.b64encode(f"{adapter['id']}:{adapter['secret']}".encode()).decode()
    answer = await client.post(
        f"/v1/providers/sendgrid/{adapter['id']}",
        content=multipart(
            [
                ("email", dsn(reply["message_id"], headers_only=False)),
                ("envelope", '{"to":["support@acme.test"],"from":""}'),
            ]
        ),
        headers={"content-type": form_type("xYzZY"), "authorization": f"Basic {credentials}"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "ignored_bounce"
    assert answer.json()["failed_reply_id"] == reply["reply_id"]
    failed = (await quick.published(ReplyDeliveryChanged))[-1]
    assert (failed.reply_id, failed.state) == (reply["reply_id"], "failed")
    assert len(await quick.published(ContactReceived)) == 1, "the bounce opens no case"
