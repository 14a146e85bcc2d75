"""A Meta adapter's credential: the app secret (Meta signs its webhooks with it), an access
token for the Graph API and the id that sends (a WhatsApp phone number id, a Page id, an
Instagram account id)."""

from __future__ import annotations

import secrets
from typing import Annotated

from pydantic import SecretStr, StringConstraints

from switchboard.intake.domain.credentials import ProviderCredential
from switchboard.intake.domain.meta_graph import SENDER_ID

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
