"""Where a coordinator's webhook deliveries go now, and the secret that signs them: read
from the active configuration when each delivery is sent (servicekit's sender asks)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.escalation.adapters.config_store import ConfigStore
from switchboard.servicekit.deliveries import Endpoint


class CoordinatorWebhooks:
    def __init__(self, config: ConfigStore) -> None:
        self._config = config

    async def endpoint_of(
        self, session: AsyncSession, stream: str, coordinator_id: str
    ) -> Endpoint | None:
        loaded = await self._config.current(session)
        webhook = loaded.webhook_of(coordinator_id)
        return Endpoint(url=webhook.url, secret=webhook.secret) if webhook else None
