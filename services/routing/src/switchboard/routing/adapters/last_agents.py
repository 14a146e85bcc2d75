"""Each customer's last agent: written with one upsert, because two cases of the same
customer can be resolved at the same moment, and a row locked with SELECT … FOR UPDATE does
not exist yet for either of them (both would insert it)."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.routing.adapters.orm import LastAgentRow
from switchboard.servicekit.db.engine import dialect_of


async def remember_last_agent(
    session: AsyncSession, *, customer_id: str, agent_id: str, resolved_at: datetime
) -> None:
    """The customer's last agent is ``agent_id`` from now on (the later resolution wins)."""
    await session.execute(
        _upsert(dialect_of(session)),
        {"customer_id": customer_id, "agent_id": agent_id, "resolved_at": resolved_at},
    )


@functools.cache
def _upsert(dialect: str) -> Any:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(LastAgentRow)
    return statement.on_conflict_do_update(
        index_elements=[LastAgentRow.customer_id],
        set_={name: statement.excluded[name] for name in ("agent_id", "resolved_at")},
    )
