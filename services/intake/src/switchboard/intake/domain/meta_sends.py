"""A Meta adapter's credential and how its replies go out: the app secret (Meta signs its
webhooks with it), an access token for the Graph API and the id that sends (a WhatsApp
phone number id, a Page id, an Instagram account id); the request to ``{graph}/{id}/
messages`` with ``Authorization: Bearer``, and what Graph's answer does to the message."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated

from pydantic import SecretStr, StringConstraints

from switchboard.intake.domain.credentials import ProviderCredential
from switchboard.intake.domain.meta_graph import SENDER_ID, answer_of, retry_after, send_path
from switchboard.intake.domain.replies import Outcome, ReplyDelivery
from switchboard.servicekit.deliveries import DeliveryStatus, ProviderEndpoint, Settled

Secret = Annotated[SecretStr, StringConstraints(min_length=8, max_length=1024)]


class MetaApp(ProviderCredential):
    """What a WhatsApp, Messenger or Instagram adapter holds (sealed at rest)."""

    app_secret: Secret
    """The app's secret (App settings, Basic): checks ``X-Hub-Signature-256``."""
    access_token: Secret
    """A system user's or Page's token with the messaging permission."""
    sender_id: Annotated[str, StringConstraints(pattern=SENDER_ID)]
    """The WhatsApp phone number id, the Page id, or the Instagram account id that sends
    (the path of ``/{id}/messages``); a WhatsApp or Messenger adapter takes only that
    number's or Page's webhooks."""

    @classmethod
    def webhook_secret(cls) -> str:
        """The verify token Meta's webhook set-up asks for (letters, digits, ``-_``)."""
        return secrets.token_urlsafe(32)


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
