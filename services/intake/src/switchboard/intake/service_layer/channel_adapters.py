"""Registering channel adapters, rotating their secrets, enabling them; re-sealing the stored
secrets under the operator's first key. Called by the admin API and the command line."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.intake.adapters.adapter_directory import adapter_view
from switchboard.intake.adapters.orm import AdapterRow
from switchboard.intake.adapters.secret_box import SecretBox
from switchboard.intake.domain.channel_adapters import (
    CREDENTIALS,
    AdapterSpec,
    AdapterView,
    Provider,
    credential_fits,
)
from switchboard.intake.domain.credentials import ProviderCredential
from switchboard.intake.domain.signatures import new_secret

log = logging.getLogger(__name__)


SEALED_COLUMNS = (
    "current_secret",
    "previous_secret",
    "provider_credential",
    "previous_provider_credential",
)


class AdapterExists(Exception):
    pass


class UnknownAdapter(LookupError):
    pass


async def register_adapter(
    *, session: AsyncSession, box: SecretBox, spec: AdapterSpec, now: datetime
) -> tuple[AdapterView, str]:
    """A new adapter with a fresh secret (a provider's: its webhook secret token); the secret
    is shown once, to the caller; a provider's credential is sealed and never shown."""
    if await session.get(AdapterRow, spec.id) is not None:
        raise AdapterExists(spec.id)
    secret = _fresh_secret(spec.provider)
    credential = spec.credential()
    row = AdapterRow(
        **spec.model_dump(exclude={"bot_token", "credentials"}),
        current_secret=box.seal(secret),
        provider_credential=box.seal(credential.stored()) if credential else None,
        enabled=True,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return adapter_view(row, box), secret


async def rotate_secret(
    *, session: AsyncSession, box: SecretBox, adapter_id: str, grace: timedelta, now: datetime
) -> tuple[AdapterView, str]:
    """A new current secret; the old one stays valid for ``grace`` so the adapter can switch."""
    row = await session.get(AdapterRow, adapter_id, with_for_update=True)
    if row is None:
        raise UnknownAdapter(adapter_id)
    secret = _fresh_secret(Provider(row.provider) if row.provider else None)
    row.previous_secret, row.current_secret = row.current_secret, box.seal(secret)
    row.previous_secret_expires_at = now + grace
    row.rotated_at = now
    return adapter_view(row, box), secret


async def change_adapter(
    *,
    session: AsyncSession,
    box: SecretBox,
    adapter_id: str,
    changes: Mapping[str, object],
    grace: timedelta = timedelta(0),
    now: datetime | None = None,
) -> AdapterView:
    """Enable or disable it, set or remove its outbound address, replace a provider's
    credential (``credentials``, or a Telegram bot's ``bot_token``: a new one from
    BotFather) — the replaced one still checks the provider's webhooks for ``grace``, so
    that requests signed before the provider switched are taken."""
    row = await session.get(AdapterRow, adapter_id, with_for_update=True)
    if row is None:
        raise UnknownAdapter(adapter_id)
    provider = Provider(row.provider) if row.provider else None
    credential = changes.get("credentials")
    if isinstance(credential, ProviderCredential):
        if provider is None:
            raise NotForThisAdapter("credentials")
        try:
            credential_fits(provider, credential)
        except ValueError as error:
            raise NotForThisAdapter(f"these credentials: {error}") from error
        if row.provider_credential and grace > timedelta(0) and now is not None:
            row.previous_provider_credential = row.provider_credential
            row.previous_provider_credential_expires_at = now + grace
        row.provider_credential = box.seal(credential.stored())
    if "outbound_url" in changes and provider is not None and CREDENTIALS[provider].sends:
        raise NotForThisAdapter("outbound_url")
    for name in ("enabled", "outbound_url"):
        if name in changes:
            setattr(row, name, changes[name])
    return adapter_view(row, box)


class NotForThisAdapter(ValueError):
    """A change this adapter does not take (a bot token for a generic one, say)."""


def _fresh_secret(provider: Provider | None) -> str:
    return CREDENTIALS[provider].webhook_secret() if provider else new_secret()


async def list_adapters(*, session: AsyncSession, box: SecretBox) -> list[AdapterView]:
    rows = await session.scalars(select(AdapterRow).order_by(AdapterRow.id))
    return [adapter_view(row, box) for row in rows]


async def seal_stored_secrets(*, sessions: async_sessionmaker[AsyncSession], box: SecretBox) -> int:
    """Re-seal every stored secret and credential under the first key (sealing legacy plain
    text); how many values changed. Fails, and so stops the start, if a secret opens with
    none of the keys."""
    changed = 0
    async with sessions() as session, session.begin():
        rows = await session.scalars(select(AdapterRow).order_by(AdapterRow.id).with_for_update())
        for row in rows:
            for column in SEALED_COLUMNS:
                stored = getattr(row, column)
                if stored and box.needs_resealing(stored):
                    setattr(row, column, box.reseal(stored))
                    changed += 1
    if changed:
        log.info("adapter secrets sealed under the first key", extra={"values": changed})
    return changed
