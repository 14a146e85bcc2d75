"""Registered adapters read for the signature check, through a short cache; their secrets are
stored sealed (``secret_box``) and opened only in memory."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.intake.adapters.orm import AdapterRow
from switchboard.intake.adapters.secret_box import SecretBox
from switchboard.intake.domain.channel_adapters import (
    ADAPTER_ID,
    CREDENTIALS,
    AdapterView,
    Provider,
)
from switchboard.intake.domain.credentials import ProviderCredential
from switchboard.intake.domain.values import Channel
from switchboard.intake.service_layer.providers import provider_endpoint
from switchboard.servicekit.deliveries import Endpoint, ProviderEndpoint, TransportEndpoint


def adapter_view(row: AdapterRow, box: SecretBox) -> AdapterView:
    provider = Provider(row.provider) if row.provider else None
    return AdapterView(
        id=row.id,
        channel=Channel(row.channel),
        region=row.region,
        default_country=row.default_country,
        department=row.department,
        enabled=row.enabled,
        current_secret=box.open(row.current_secret),
        previous_secret=box.open(row.previous_secret) if row.previous_secret else None,
        previous_secret_expires_at=row.previous_secret_expires_at,
        outbound_url=row.outbound_url,
        provider=provider,
        credential=opened_credential(row, box),
        previous_credential=_opened(provider, row.previous_provider_credential, box),
        previous_credential_expires_at=row.previous_provider_credential_expires_at,
    )


def opened_credential(row: AdapterRow, box: SecretBox) -> ProviderCredential | None:
    """The adapter's provider credential, opened (None for an adapter of no provider)."""
    provider = Provider(row.provider) if row.provider else None
    return _opened(provider, row.provider_credential, box)


def _opened(
    provider: Provider | None, sealed: str | None, box: SecretBox
) -> ProviderCredential | None:
    if provider is None or not sealed:
        return None
    return CREDENTIALS[provider].from_stored(box.open(sealed))


class AdapterDirectory:
    """Adapters by id, cached briefly (rotation keeps the old secret valid, so a few seconds
    of staleness never locks an adapter out)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        box: SecretBox,
        ttl_seconds: float,
        api_bases: Mapping[Provider, str] | None = None,
    ) -> None:
        self._sessions = sessions
        self._api_bases = dict(api_bases or {})
        """Each provider's API base (its documented one when absent)."""
        self._box = box
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[float, AdapterView]] = {}

    async def get(self, adapter_id: str) -> AdapterView | None:
        if not re.match(ADAPTER_ID, adapter_id):
            return None
        cached = self._cache.get(adapter_id)
        if cached is not None and time.monotonic() - cached[0] < self._ttl:
            return cached[1]
        async with self._sessions() as session:
            row = await session.get(AdapterRow, adapter_id)
        if row is None:
            return None
        view = adapter_view(row, self._box)
        self._cache[adapter_id] = (time.monotonic(), view)
        return view

    async def outbound_endpoint(
        self, session: AsyncSession, stream: str, adapter_id: str
    ) -> Endpoint | ProviderEndpoint | TransportEndpoint | None:
        """Where and how a reply goes to the adapter now (the delivery sender's look-up):
        signed to its outbound address, or through its provider's API with its credential;
        None once it can send nothing or is disabled."""
        adapter = await self.get(adapter_id)
        if adapter is None or not adapter.sends:
            return None
        if adapter.provider is not None and adapter.credential is not None:
            found = provider_endpoint(adapter.provider, adapter.credential, self._api_bases)
            if found is not None:
                return found
        if not adapter.outbound_url:
            return None
        return Endpoint(url=adapter.outbound_url, secret=adapter.current_secret)

    def forget(self, adapter_id: str) -> None:
        self._cache.pop(adapter_id, None)
