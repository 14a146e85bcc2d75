"""Problems across regions: the contacts' terms the detector counts, the problems it found,
and the notes coordinators share on them."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    Index,
    Integer,
    String,
    Text,
    cast,
    delete,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, array
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from switchboard.escalation.adapters.orm import Base
from switchboard.servicekit.db.engine import dialect_of

_BigId = BigInteger().with_variant(Integer(), "sqlite")


class ProblemContactRow(Base):
    """One inbound contact as the detector sees it (kept for the baseline's span)."""

    __tablename__ = "esc_problem_contacts"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    contact_id: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime]
    region: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(35))
    terms: Mapped[str] = mapped_column(Text)
    """Space-separated pivot terms."""
    excerpt: Mapped[str] = mapped_column(Text)
    customer_id: Mapped[str] = mapped_column(String(128))
    """Whose text it is: erased with the customer (GDPR art. 17)."""
    sealed: Mapped[bool]
    """Whether intake sealed the text: an example of it is sealed again in the event."""

    __table_args__ = (
        Index("ix_esc_problem_contacts_at", "at"),
        Index("ux_esc_problem_contacts_contact", "contact_id", unique=True),
        Index("ix_esc_problem_contacts_customer_id", "customer_id"),
    )


class ProblemRow(Base):
    __tablename__ = "esc_problems"

    problem_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    terms: Mapped[list[str]] = mapped_column(JSON)
    regions: Mapped[list[str]] = mapped_column(JSON)
    counts: Mapped[dict[str, int]] = mapped_column(JSON)
    examples: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    acknowledgements: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON)
    """Region → who acknowledged it there and when."""
    first_seen: Mapped[datetime]
    detected_at: Mapped[datetime]

    __table_args__ = (Index("ix_esc_problems_detected_at", "detected_at"),)


class ProblemNoteRow(Base):
    __tablename__ = "esc_problem_notes"

    note_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    problem_id: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(32))
    author: Mapped[str] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime]

    __table_args__ = (Index("ix_esc_problem_notes_problem", "problem_id", "added_at"),)


async def contacts_after(
    session: AsyncSession, last_id: int, *, since: datetime, missing: Collection[int] = ()
) -> list[ProblemContactRow]:
    """The contacts after ``last_id``, and those of the ``missing`` ids below it now there,
    since ``since``, by id."""
    after = ProblemContactRow.id > last_id
    query = (
        select(ProblemContactRow)
        .where(or_(after, ProblemContactRow.id.in_(missing)) if missing else after)
        .where(ProblemContactRow.at >= since)
        .order_by(ProblemContactRow.id)
    )
    return list((await session.execute(query)).scalars())


async def recent_problems(
    session: AsyncSession, *, limit: int, touching: Collection[str] | None = None
) -> list[ProblemRow]:
    """The newest problems; with ``touching``, the newest of those touching one of these
    regions."""
    query = select(ProblemRow).order_by(ProblemRow.detected_at.desc()).limit(limit)
    if touching is not None:
        if not touching:
            return []
        query = query.where(_touches(session, sorted(touching)))
    return list((await session.execute(query)).scalars())


def _touches(session: AsyncSession, regions: list[str]) -> ColumnElement[bool]:
    """Whether a problem's regions (a JSON array) hold one of ``regions``."""
    if dialect_of(session) == "postgresql":
        touched: ColumnElement[bool] = cast(ProblemRow.regions, JSONB).has_any(array(regions))
        return touched
    each = func.json_each(ProblemRow.regions).table_valued("value")
    return select(literal(1)).select_from(each).where(each.c.value.in_(regions)).exists()


async def problem_for_update(session: AsyncSession, problem_id: str) -> ProblemRow | None:
    query = select(ProblemRow).where(ProblemRow.problem_id == problem_id).with_for_update()
    return (await session.execute(query)).scalars().first()


async def notes_of(session: AsyncSession, problem_ids: list[str]) -> list[ProblemNoteRow]:
    query = (
        select(ProblemNoteRow)
        .where(ProblemNoteRow.problem_id.in_(problem_ids))
        .order_by(ProblemNoteRow.added_at)
    )
    return list((await session.execute(query)).scalars())


async def authors_of(session: AsyncSession, contact_ids: list[str]) -> dict[str, tuple[str, bool]]:
    """Contact id → (the customer who wrote it, whether intake sealed its text)."""
    if not contact_ids:
        return {}
    query = select(
        ProblemContactRow.contact_id, ProblemContactRow.customer_id, ProblemContactRow.sealed
    ).where(ProblemContactRow.contact_id.in_(contact_ids))
    return {
        contact: (customer, sealed) for contact, customer, sealed in await session.execute(query)
    }


async def erase_customers(session: AsyncSession, customer_ids: list[str]) -> int:
    """Every text of these customers the problems hold: their contacts' rows, and the
    problems' examples they wrote. Returns the rows touched."""
    gone = delete(ProblemContactRow).where(ProblemContactRow.customer_id.in_(customer_ids))
    rows = (await session.execute(gone)).rowcount or 0  # type: ignore[attr-defined]
    for problem in (await session.execute(select(ProblemRow).with_for_update())).scalars():
        kept = [e for e in problem.examples if e.get("customer_id") not in customer_ids]
        if len(kept) != len(problem.examples):
            problem.examples = kept
            rows += 1
    return rows


PROBLEMS_LOCK = 0x5B_0B_1E_35
"""A transaction lock (PostgreSQL advisory) that orders replicas telling problems."""


async def lock_telling(session: AsyncSession) -> None:
    """Replicas tell problems one at a time (PostgreSQL; SQLite serialises writers)."""
    if dialect_of(session) == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PROBLEMS_LOCK})


async def twin_of(
    session: AsyncSession, *, terms: Iterable[str], regions: Iterable[str], since: datetime
) -> ProblemRow | None:
    """A problem told since ``since`` that shares a term and a region with this one: what
    another replica, counting the same contacts, detected first."""
    wanted_terms, wanted_regions = set(terms), set(regions)
    query = select(ProblemRow).where(ProblemRow.detected_at >= since)
    for row in (await session.execute(query)).scalars():
        if wanted_terms & set(row.terms) and wanted_regions & set(row.regions):
            return row
    return None
