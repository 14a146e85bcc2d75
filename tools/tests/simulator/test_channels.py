import base64
import hashlib
import hmac
import json
import random
from datetime import UTC, datetime

import phonenumbers
import pytest

from switchboard.simulator import channels
from switchboard.simulator.customers import new_customer
from switchboard.simulator.scenario import REGIONS

AT = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


@pytest.fixture
def customer():
    return new_customer(random.Random(1), region=REGIONS[0], language="da", run_id="abc123")


def test_the_signature_is_standard_webhooks():
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    body = channels.encode({"message": "hej"})
    headers = channels.signed_headers(secret, body, webhook_id="msg_1", at=AT)
    expected = hmac.new(b"k" * 32, f"msg_1.{int(AT.timestamp())}.".encode() + body, hashlib.sha256)
    assert headers["webhook-signature"] == "v1," + base64.b64encode(expected.digest()).decode()
    assert headers["webhook-timestamp"] == str(int(AT.timestamp()))
    assert headers["content-type"] == "application/json"


def test_the_signature_matches_the_standard_webhooks_published_example():
    """The example of the Standard Webhooks documentation, independent of any library."""
    headers = channels.signed_headers(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        b'{"test": 2432232314}',
        webhook_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        at=datetime.fromtimestamp(1614265330, UTC),
    )
    assert headers["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_call_carries_a_valid_number_and_the_ivr_department(customer):
    payload = channels.phone_contact(
        customer, country="SE", transcript="Hej", at=AT, department="billing", priority=1
    )
    assert payload["event"] == "call_started"
    assert payload["call_id"].startswith("call-")
    assert payload["ivr_selection"] == {"digits": "2", "department": "billing"}
    assert payload["priority"] == 1
    assert payload["sent_at"] == AT.isoformat()
    for number in (payload["caller_number"], payload["called_number"]):
        assert phonenumbers.is_valid_number(phonenumbers.parse(number))


@pytest.mark.parametrize("region", REGIONS, ids=lambda r: r.name)
def test_every_region_gives_its_customers_valid_mobile_numbers(region):
    rng = random.Random(region.name)
    for _ in range(200):
        person = new_customer(rng, region=region, language="en", run_id="r1")
        number = phonenumbers.parse(person.phone)
        assert phonenumbers.is_valid_number(number), person.phone
        assert phonenumbers.region_code_for_number(number) == region.country


def test_a_chat_message_names_its_session_and_visitor(customer):
    payload = channels.chat_contact(customer, message="Hej, jeg har et spørgsmål", at=AT)
    assert payload["session_id"].startswith("chat-")
    assert payload["message_id"] == "1"
    assert payload["visitor"] == {
        "id": customer.visitor_id,
        "name": customer.name,
        "email": customer.email,
    }
    assert "priority" not in payload


def test_a_social_post_is_public_and_a_message_private(customer):
    post = channels.social_contact(customer, text="Hej", at=AT, public=True)
    message = channels.social_contact(customer, text="Hej", at=AT, public=False)
    assert (post["visibility"], post["kind"]) == ("public", "post")
    assert (message["visibility"], message["kind"]) == ("private", "message")
    assert post["handle"] == customer.handle
    assert post["platform"] == "facebook"
    assert post["item_id"] != message["item_id"]


def test_an_email_reply_threads_onto_the_first_email_and_the_agents_answer(customer):
    first = channels.email_contact(customer, region="nordics", subject="Faktura", body="Hej", at=AT)
    assert first["to"] == ["support@nordics.switchboard.example"]
    assert "in_reply_to" not in first
    assert customer.last_email == [first["message_id"]]
    agent = "<answer@agents.switchboard.example>"
    reply = channels.email_reply(
        customer, region="nordics", subject="Faktura", body="Tak", at=AT, agent_reply_id=agent
    )
    assert reply["subject"] == "Re: Faktura"
    assert reply["in_reply_to"] == agent
    assert reply["references"] == [first["message_id"], agent]
    assert reply["message_id"] not in (first["message_id"], agent)
    again = channels.email_reply(customer, region="nordics", subject="Re: Faktura", body="!", at=AT)
    assert again["subject"] == "Re: Faktura"
    assert again["in_reply_to"] == reply["message_id"]
    assert again["references"] == [first["message_id"], agent, reply["message_id"]]


def test_a_reply_without_an_agent_answer_points_at_the_customers_own_email(customer):
    first = channels.email_contact(customer, region="dach", subject="Rechnung", body="Hallo", at=AT)
    reply = channels.email_reply(customer, region="dach", subject="Rechnung", body="Noch", at=AT)
    assert reply["in_reply_to"] == first["message_id"]
    assert reply["references"] == [first["message_id"]]


def test_a_reply_needs_an_earlier_email(customer):
    with pytest.raises(ValueError):
        channels.email_reply(customer, region="dach", subject="x", body="y", at=AT)


def test_payloads_are_compact_utf8_json(customer):
    payload = channels.chat_contact(customer, message="Spørgsmål om fakturaen", at=AT)
    assert json.loads(channels.encode(payload)) == payload
    assert "Spørgsmål".encode() in channels.encode(payload)
