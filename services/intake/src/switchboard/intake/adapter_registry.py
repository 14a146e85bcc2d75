"""The channel adapters allowed to post, their secrets and rotation; read through a short cache.
Secrets are stored sealed (``adapters.secret_box``) and opened only in memory."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.intake.adapters.orm import Adapter
from switchboard.intake.adapters.secret_box import SecretBox
from switchboard.intake.domain.signatures import new_secret
from switchboard.intake.domain.values import Channel

log = logging.getLogger(__name__)
ADAPTER_ID = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class AdapterSpec(BaseModel):
    """How an operator registers an adapter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ADAPTER_ID)
    channel: Channel
    region: str | None = Field(default=None, max_length=32, pattern=r"^[a-z][a-z0-9-]*$")
    default_country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    """Where national-format phone numbers from this adapter are dialled (ISO 3166)."""
    department: str | None = Field(default=None, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class AdapterView:
    id: str
    channel: Channel
    region: str | None
    default_country: str | None
    department: str | None
    enabled: bool
    current_secret: str
    previous_secret: str | None = None
    previous_secret_expires_at: datetime | None = None

    @classmethod
    def of(cls, row: Adapter, box: SecretBox) -> AdapterView:
        return cls(
            id=row.id,
            channel=Channel(row.channel),
            region=row.region,
            default_country=row.default_country,
            department=row.department,
            enabled=row.enabled,
            current_secret=box.open(row.current_secret),
            previous_secret=box.open(row.previous_secret) if row.previous_secret else None,
            previous_secret_expires_at=row.previous_secret_expires_at,
        )

    def secrets_in_use(self, now: datetime) -> tuple[str, ...]:
        """The current secret, and the previous one until its grace period ends."""
        expires = self.previous_secret_expires_at
        if self.previous_secret and expires is not None and now < expires:
            return (self.current_secret, self.previous_secret)
        return (self.current_secret,)

    def public(self) -> dict[str, object]:
        """What the admin API shows: everything but the secrets."""
        return {
            "id": self.id,
            "channel": self.channel.value,
            "region": self.region,
            "default_country": self.default_country,
            "department": self.department,
            "enabled": self.enabled,
            "previous_secret_expires_at": self.previous_secret_expires_at,
        }


class AdapterExists(Exception):
    pass


class UnknownAdapter(LookupError):
    pass


async def register_adapter(
    *, session: AsyncSession, spec: AdapterSpec, box: SecretBox, now: datetime
) -> tuple[AdapterView, str]:
    """A new adapter with a fresh secret; the secret is shown once, to the caller."""
    if await session.get(Adapter, spec.id) is not None:
        raise AdapterExists(spec.id)
    secret = new_secret()
    sealed = box.seal(secret)
    row = Adapter(**spec.model_dump(), current_secret=sealed, enabled=True, created_at=now)
    session.add(row)
    await session.flush()
    return AdapterView.of(row, box), secret


async def rotate_secret(
    *, session: AsyncSession, adapter_id: str, box: SecretBox, grace: timedelta, now: datetime
) -> tuple[AdapterView, str]:
    """A new current secret; the old one stays valid for ``grace`` so the adapter can switch."""
    row = await session.get(Adapter, adapter_id, with_for_update=True)
    if row is None:
        raise UnknownAdapter(adapter_id)
    secret = new_secret()
    row.previous_secret, row.current_secret = row.current_secret, box.seal(secret)
    row.previous_secret_expires_at = now + grace
    row.rotated_at = now
    return AdapterView.of(row, box), secret


async def set_enabled(
    *, session: AsyncSession, adapter_id: str, box: SecretBox, enabled: bool
) -> AdapterView:
    row = await session.get(Adapter, adapter_id, with_for_update=True)
    if row is None:
        raise UnknownAdapter(adapter_id)
    row.enabled = enabled
    return AdapterView.of(row, box)


async def list_adapters(*, session: AsyncSession, box: SecretBox) -> list[AdapterView]:
    rows = await session.scalars(select(Adapter).order_by(Adapter.id))
    return [AdapterView.of(row, box) for row in rows]


async def seal_stored_secrets(sessions: async_sessionmaker[AsyncSession], box: SecretBox) -> int:
    """Re-seal every stored secret under the first key (sealing legacy plain text); how many
    values changed. Fails, and so stops the start, if a secret opens with none of the keys."""
    changed = 0
    async with sessions() as session, session.begin():
        for row in await session.scalars(select(Adapter).order_by(Adapter.id).with_for_update()):
            for column in ("current_secret", "previous_secret"):
                stored = getattr(row, column)
                if stored and box.needs_resealing(stored):
                    setattr(row, column, box.reseal(stored))
                    changed += 1
    if changed:
        log.info("adapter secrets sealed under the first key", extra={"values": changed})
    return changed


class AdapterDirectory:
    """Adapters by id for the signature check, cached briefly (rotation keeps the old secret
    valid, so a few seconds of staleness never locks an adapter out)."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, box: SecretBox, ttl_seconds: float
    ) -> None:
        self._sessions = sessions
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
            row = await session.get(Adapter, adapter_id)
        if row is None:
            return None
        view = AdapterView.of(row, self._box)
        self._cache[adapter_id] = (time.monotonic(), view)
        return view

    def forget(self, adapter_id: str) -> None:
        self._cache.pop(adapter_id, None)
