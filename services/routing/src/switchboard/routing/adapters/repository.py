"""Loading routing's rows for a transition, locked in the one order every writer uses: cases
before agents (each in key order when several), then offers."""

from __future__ import annotations

import json
from typing import TypeVar

from sqlalchemy import String, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from switchboard.routing.adapters.orm import AgentRow, CaseRow
from switchboard.routing.domain.errors import UnknownAgent, UnknownCase, WrongState
from switchboard.routing.domain.model import ItemState

Row = TypeVar("Row", CaseRow, AgentRow)


async def held_case_and_agent(
    session: AsyncSession, *, case_id: str, agent_id: str, state: ItemState, lock_agent: bool
) -> tuple[CaseRow, AgentRow]:
    """The case, locked, which must be in ``state`` for ``agent_id``; then the agent (locked
    when the transition changes it)."""
    case = await session.get(CaseRow, case_id, with_for_update=True)
    if case is None:
        raise UnknownCase(case_id)
    if case.agent_id != agent_id or case.state != state.value:
        raise WrongState(f"case {case_id!r} is not {state.value} for agent {agent_id!r}")
    return case, await agent(session, agent_id, lock=lock_agent)


async def agent(session: AsyncSession, agent_id: str, *, lock: bool) -> AgentRow:
    if lock:
        row = await session.get(AgentRow, agent_id, with_for_update=True, populate_existing=True)
    else:
        row = await session.get(AgentRow, agent_id)
    if row is None:
        raise UnknownAgent(agent_id)
    return row


async def regions_serving(session: AsyncSession, pool: str) -> set[str]:
    """The regions of the directory's agents who serve ``pool`` (empty: nobody serves it;
    the JSON text narrows the rows, the list itself decides)."""
    text = cast(AgentRow.pools, String)
    spellings = {json.dumps(pool), json.dumps(pool, ensure_ascii=False)}
    listed = or_(*(text.contains(each, autoescape=True) for each in spellings))
    rows = await session.execute(select(AgentRow.pools, AgentRow.region).where(listed).limit(100))
    return {region for pools, region in rows if pool in pools}


async def offered_cases_of(session: AsyncSession, agent_id: str) -> list[CaseRow]:
    """The cases offered to the agent and not yet answered, locked."""
    rows = await session.scalars(
        select(CaseRow)
        .where(CaseRow.agent_id == agent_id, CaseRow.state == ItemState.OFFERED.value)
        .order_by(CaseRow.case_id)
        .with_for_update()
    )
    return list(rows.all())


async def locked(
    session: AsyncSession, model: type[Row], key: InstrumentedAttribute[str], ids: set[str]
) -> dict[str, Row]:
    """The rows with these keys, locked in key order (the order every batch uses)."""
    rows = await session.scalars(
        select(model).where(key.in_(sorted(ids))).order_by(key).with_for_update()
    )
    return {getattr(row, key.key): row for row in rows}
