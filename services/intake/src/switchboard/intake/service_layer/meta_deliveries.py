"""How a Meta adapter's replies go out and what Graph's answer does to them: the request to
``{graph}/{sender id}/messages`` with ``Authorization: Bearer``, built when it is sent (the
token is never queued), and the outcome of Graph's answer."""

from __future__ import annotations

from collections.abc import Callable

from switchboard.intake.domain.meta_graph import answer_of, retry_after, send_path
from switchboard.intake.domain.meta_sends import MetaApp
from switchboard.intake.domain.replies import Outcome, ReplyDelivery
from switchboard.servicekit.deliveries import DeliveryStatus, ProviderEndpoint, Settled


def endpoint(app: MetaApp, api_base: str) -> ProviderEndpoint:
    """``POST {graph}/{sender id}/messages`` with the access token as a bearer."""
    return ProviderEndpoint(
        url=send_path(api_base, app.sender_id),
        headers={"Authorization": f"Bearer {app.access_token.get_secret_value()}"},
        retry_after=retry_after,
    )


def outcome_for(platform: str) -> Callable[[Settled], Outcome]:
    """What Graph's answer does to a message sent on the platform (``WhatsApp``, …)."""

    def outcome(settled: Settled) -> Outcome:
        """A 2xx makes it sent with the message id Graph made (the id its statuses name);
        a refusal fails it with Graph's error; anything else is tried again."""
        answer = answer_of(settled.answer)
        said = answer.error or settled.error
        if settled.status is DeliveryStatus.DELIVERED:
            return Outcome(ReplyDelivery.SENT, provider_message_id=answer.message_id)
        if settled.status is DeliveryStatus.DEAD:
            code = settled.status_code
            if code is not None and 400 <= code < 500:
                return Outcome(ReplyDelivery.FAILED, f"{platform} refused it: {said} (HTTP {code})")
            return Outcome(
                ReplyDelivery.FAILED,
                f"{platform} did not take it in {settled.attempts} attempts: {said}",
            )
        return Outcome(None, f"{platform}: {said}")

    return outcome
