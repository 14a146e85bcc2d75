"""Merging two customer records carries their history across the services: one person
calls from a phone number (Bertil handles it) and later writes from an e-mail address
(Astrid handles that), so intake knows two customers; a coordinator merges the e-mail
customer into the phone customer. CustomerMerged goes out; intake's record of the survivor
holds both identities and both cases, the merged id leads to it; routing moves the merged
customer's cases and, as the later resolution, its last agent to the survivor: her
next contact, a chat signed in with the same e-mail address, is offered first to Astrid,
although Bertil has been idle longer and was the survivor's own last agent."""

from __future__ import annotations

import uuid
from email.message import EmailMessage

import pytest

from switchboard.contracts.events import (
    CaseOffered,
    CaseOpened,
    CaseResolved,
    CustomerMerged,
)
from switchboard.servicekit.testing.helpers import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(150)]

VOICEMAIL = (
    "Hej, det här är Sara. Jag har fortfarande inte fått tillbaka pengarna för min returnerade "
    "jacka. Kan ni ringa mig och berätta när de kommer?"
)
FIRST_MAIL = (
    "Hej, jag skriver igen om min retur. Jag har nu skickat tillbaka en andra vara och vill "
    "veta om ni har tagit emot paketet och när jag får pengarna."
)
NEXT_MESSAGE = (
    "Hej igen, jag har en ny fråga om min senaste beställning. Leveransen verkar vara "
    "försenad och jag undrar om ni kan kontrollera var paketet finns just nu."
)


def mail(*, sender: str, subject: str, text: str, message_id: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@acme.test"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(text)
    return message.as_bytes()


async def test_a_merge_moves_history_and_the_last_agent_preference_across_services(
    platform, intake, routing, events, http
):
    token = uuid.uuid4().hex[:10]
    # No other e2e test hires Swedish speakers in this region: every offer here is ours.
    region = platform.regions.eu_central
    admin = platform.auth("e2e-admin", "admin")
    coordinator = platform.auth(f"coord-{token}", "coordinator", (region,))
    intake_url, routing_url = platform.url("intake"), platform.url("routing")
    phone = await intake.register("phone", region, default_country="SE")
    inbox = await intake.register("email", region)
    chat = await intake.register("chat", region)
    address = f"sara.{token}@example.se"
    number = f"070{int(token[:6], 16) % 10**7:07d}"  # a Swedish mobile number
    astrid, bertil = f"astrid-{token}", f"bertil-{token}"

    async def resolve(agent_id: str, case_id: str) -> None:
        """Offered to ``agent_id``, accepted, answered, resolved; the agent in wrap-up."""
        [offer] = await events.wait_for(CaseOffered, lambda e: e.case_id == case_id, timeout=30)
        assert offer.agent_id == agent_id, offer
        for action, body in (
            ("accept", None),
            ("replies", {"message_id": f"reply-{token}-{case_id[:8]}"}),
            ("resolve", {"resolution_code": "refunded"}),
        ):
            response = await routing.act(agent_id, case_id, action, body)
            assert response.status_code == 200, (action, response.text)
        await events.wait_for(CaseResolved, lambda e: e.case_id == case_id)

    async def finish_wrap_up(agent_id: str, case_id: str) -> None:
        finished = await routing.act(agent_id, case_id, "wrap-up/finish")
        assert finished.status_code == 200, finished.text

    # The voicemail: Bertil, the only Swedish speaker of the region, handles it.
    await routing.hire(bertil, region=region, languages=["sv"], skills={"support": 8})
    await routing.available(bertil)
    called = await intake.post(
        phone,
        {
            "event": "voicemail",
            "call_id": f"call-{token}",
            "caller_number": number,
            "transcript": VOICEMAIL,
        },
    )
    assert called.status_code == 202, called.text
    phone_case, survivor = called.json()["case_id"], called.json()["customer_id"]
    await resolve(bertil, phone_case)
    await finish_wrap_up(bertil, phone_case)

    # The e-mail, while Bertil is away: Astrid handles it. Bertil is back before she finishes
    # her wrap-up, so from then on he has been idle longer than she has.
    await routing.presence(bertil, "away")
    await routing.hire(astrid, region=region, languages=["sv"], skills={"support": 8})
    await routing.available(astrid)
    wrote = await intake.post(
        inbox,
        mail(
            sender=f"Sara Lind <{address}>",
            subject="Min retur",
            text=FIRST_MAIL,
            message_id=f"<first-{token}@example.se>",
        ),
        content_type="message/rfc822",
    )
    assert wrote.status_code == 202, wrote.text
    mail_case, merged = wrote.json()["case_id"], wrote.json()["customer_id"]
    assert merged != survivor

    await resolve(astrid, mail_case)
    await routing.available(bertil)
    await finish_wrap_up(astrid, mail_case)

    # The coordinator of the region merges the e-mail customer into the phone customer.
    response = await http.post(
        f"{intake_url}/v1/customers/{survivor}/merge",
        json={"merged_id": merged},
        headers=coordinator,
    )
    assert response.status_code == 200, response.text
    record = response.json()
    assert (record["id"], record["merged_ids"]) == (survivor, [merged])
    assert {(i["kind"], i["value"]) for i in record["identities"]} == {
        ("email", address),
        ("phone", f"+46{number[1:]}"),
    }
    assert {case["case_id"] for case in record["cases"]} == {phone_case, mail_case}
    assert record["language"] == "sv"
    [announced] = await events.wait_for(CustomerMerged, lambda e: e.survivor_id == survivor)
    assert (announced.merged_id, announced.case_ids) == (merged, (mail_case,))
    assert (announced.by.kind.value, announced.by.id) == ("coordinator", f"coord-{token}")

    # The merged id and the e-mail address both lead to the survivor's record.
    for path, params in ((f"/v1/customers/{merged}", {}), ("/v1/customers", {"email": address})):
        found = await http.get(f"{intake_url}{path}", params=params, headers=admin)
        assert found.status_code == 200, found.text
        assert (found.json()["id"], found.json()["merged_ids"]) == (survivor, [merged])
    again = await http.post(
        f"{intake_url}/v1/customers/{survivor}/merge", json={"merged_id": merged}, headers=admin
    )
    assert again.status_code == 409, again.text

    # Routing has heard of the merge once the merged customer's case is the survivor's.
    async def routing_merged() -> bool:
        case = await http.get(f"{routing_url}/v1/cases/{mail_case}", headers=admin)
        assert case.status_code == 200, case.text
        return case.json()["customer_id"] == survivor

    assert await eventually(routing_merged, timeout=20), "routing never moved the case"

    # She opens the web chat, signed in with her e-mail address. (Another e-mail would
    # reopen her resolved e-mail case: same customer and channel.) A new case of the
    # survivor, offered to Astrid first.
    later = await intake.post(
        chat,
        {
            "session_id": f"session-{token}",
            "message_id": "1",
            "visitor": {"id": f"visitor-{token}", "name": "Sara Lind", "email": address},
            "message": NEXT_MESSAGE,
        },
    )
    assert later.status_code == 202, later.text
    next_case = later.json()["case_id"]
    assert (later.json()["outcome"], later.json()["customer_id"]) == ("opened", survivor)
    [opened] = await events.wait_for(CaseOpened, lambda e: e.case_id == next_case)
    assert (opened.customer_id, opened.language, opened.region) == (survivor, "sv", region)
    [offer] = await events.wait_for(CaseOffered, lambda e: e.case_id == next_case, timeout=30)
    assert offer.agent_id == astrid, offer
    assert offer.explanation.step_name == "preferred agent"
    assert offer.explanation.requirement == f'agent == "{astrid}" (preferred agent)'
    assert bertil in [passed.agent_id for passed in offer.explanation.passed_over]
