"""The active configuration, shared by replicas through the database and cached per replica."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.escalation.adapters.orm import ConfigRow
from switchboard.escalation.domain.configuration import (
    EscalationConfig,
    WebhookDocument,
    load_config,
)
from switchboard.escalation.domain.policy_book import PolicyBook
from switchboard.servicekit.db.types import utcnow

CONFIG_ROW_ID = 1


@dataclass(frozen=True)
class LoadedConfig:
    version: int
    config: EscalationConfig
    book: PolicyBook

    def webhook_of(self, coordinator_id: str) -> WebhookDocument | None:
        return next((c.webhook for c in self.config.coordinators if c.id == coordinator_id), None)


def _loaded(version: int, config: EscalationConfig) -> LoadedConfig:
    return LoadedConfig(version, config, config.to_policy_book())


class ConfigStore:
    """Reads the configuration row at most every `refresh_seconds` (admin changes reach
    every replica within that time; the replica that made the change sees it at once)."""

    def __init__(self, *, refresh_seconds: float = 1.0) -> None:
        self._refresh_seconds = refresh_seconds
        self._current = _loaded(0, EscalationConfig())
        self._checked_at = float("-inf")

    async def current(self, session: AsyncSession) -> LoadedConfig:
        if time.monotonic() - self._checked_at < self._refresh_seconds:
            return self._current
        version = (
            await session.execute(select(ConfigRow.version).where(ConfigRow.id == CONFIG_ROW_ID))
        ).scalar_one_or_none()
        if version is not None and version != self._current.version:
            row = await session.get(ConfigRow, CONFIG_ROW_ID)
            assert row is not None
            self._current = _loaded(row.version, EscalationConfig.model_validate(row.document))
        self._checked_at = time.monotonic()
        return self._current

    async def replace(self, session: AsyncSession, *, config: EscalationConfig, by: str) -> int:
        """Store a new configuration in the caller's transaction; returns its version."""
        row = await session.get(ConfigRow, CONFIG_ROW_ID, with_for_update=True)
        document = config.model_dump(mode="json")
        if row is None:
            row = ConfigRow(id=CONFIG_ROW_ID, version=0, document=document)
            session.add(row)
        row.version += 1
        row.document = document
        row.updated_at = utcnow()
        row.updated_by = by
        await session.flush()
        self._current = _loaded(row.version, config)
        self._checked_at = time.monotonic()
        return row.version


@dataclass(frozen=True)
class ConfigFile:
    """A YAML file that becomes the active configuration each time the service starts."""

    path: Path
    store: ConfigStore
    sessions: async_sessionmaker[AsyncSession]

    async def activate(self) -> None:
        config = load_config(self.path.read_text(encoding="utf-8"))
        for attempt in (1, 2):
            try:
                async with self.sessions() as session, session.begin():
                    await self.store.replace(session, config=config, by=f"file:{self.path.name}")
                return
            except IntegrityError:
                # Replicas starting together on an empty database: each found no row and
                # one inserted it first; the row is there now, locked and replaced.
                if attempt == 2:
                    raise
