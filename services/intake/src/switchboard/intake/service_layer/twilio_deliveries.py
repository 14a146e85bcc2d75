"""Twilio's Messages API as the delivery sender meets it: the request's address and headers,
built from the opened credential only when it is sent (they hold the auth token), and what
Twilio's answer does to the reply."""

from __future__ import annotations

from switchboard.intake.domain.replies import Outcome, ReplyDelivery
from switchboard.intake.domain.twilio_credentials import TwilioAccount
from switchboard.intake.domain.twilio_sends import FORM, answer_of, basic_auth, messages_url
from switchboard.servicekit.deliveries import DeliveryStatus, ProviderEndpoint, Settled


def endpoint(account: TwilioAccount, api_base: str) -> ProviderEndpoint:
    """The account's Messages resource, with Basic auth (built only when sent: it holds the
    auth token) and the form's content type."""
    return ProviderEndpoint(
        url=messages_url(api_base, account.account_sid),
        headers={
            "content-type": FORM,
            "authorization": basic_auth(account.account_sid, account.auth_token.get_secret_value()),
        },
    )


def outcome(settled: Settled) -> Outcome:
    """Twilio's 201 makes a reply accepted, with Twilio's message sid (its status callbacks
    then say sent, delivered, read or failed); a refusal fails it with Twilio's message; a
    429 or 5xx is tried again."""
    answer = answer_of(settled.answer)
    said = answer.reason or settled.error
    if settled.status is DeliveryStatus.DELIVERED:
        if answer.status in {"failed", "undelivered"}:
            return Outcome(ReplyDelivery.FAILED, f"Twilio did not send it: {said}", answer.sid)
        return Outcome(ReplyDelivery.ACCEPTED, provider_message_id=answer.sid)
    if settled.status is DeliveryStatus.DEAD:
        code = settled.status_code
        if code is not None and 400 <= code < 500:
            return Outcome(ReplyDelivery.FAILED, f"Twilio refused it: {said} (HTTP {code})")
        return Outcome(
            ReplyDelivery.FAILED, f"Twilio did not take it in {settled.attempts} attempts: {said}"
        )
    return Outcome(None, f"Twilio: {said}")
