"""Pools' staffing alerts: their table, rows ↔ alerts, and the queries the use cases need."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Float, Index, Integer, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from switchboard.escalation.adapters.orm import Base
from switchboard.escalation.domain.staffing_alert import AlertStatus, Shortfall, StaffingAlert

ACTIVE = (AlertStatus.RAISED.value, AlertStatus.ACKNOWLEDGED.value)


class StaffingAlertRow(Base):
    __tablename__ = "esc_staffing_alerts"

    alert_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    pool: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(32))
    department: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    agents_required: Mapped[int] = mapped_column(Integer)
    agents_available: Mapped[int] = mapped_column(Integer)
    expected_service_level: Mapped[float] = mapped_column(Float)
    target_share: Mapped[float] = mapped_column(Float)
    target_answer_seconds: Mapped[float] = mapped_column(Float)
    arrivals: Mapped[int] = mapped_column(Integer)
    load_erlangs: Mapped[float] = mapped_column(Float)
    interval_start: Mapped[datetime]
    interval_seconds: Mapped[float] = mapped_column(Float)
    assessed_at: Mapped[datetime]
    shortfall_event_id: Mapped[str] = mapped_column(String(128))
    raised_at: Mapped[datetime]
    acknowledged_by: Mapped[str | None] = mapped_column(String(128))
    acknowledged_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_esc_staffing_alerts_pool_status", "pool", "status"),
        Index("ix_esc_staffing_alerts_region_status", "region", "status"),
    )


def alert_from_row(row: StaffingAlertRow) -> StaffingAlert:
    return StaffingAlert(
        alert_id=row.alert_id,
        pool=row.pool,
        region=row.region,
        status=AlertStatus(row.status),
        shortfall=Shortfall(
            agents_required=row.agents_required,
            agents_available=row.agents_available,
            expected_service_level=row.expected_service_level,
            assessed_at=row.assessed_at,
        ),
        raised_at=row.raised_at,
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=row.acknowledged_at,
        resolved_at=row.resolved_at,
    )


def write_alert(row: StaffingAlertRow, alert: StaffingAlert) -> None:
    row.status = alert.status.value
    row.agents_required = alert.shortfall.agents_required
    row.agents_available = alert.shortfall.agents_available
    row.expected_service_level = alert.shortfall.expected_service_level
    row.assessed_at = alert.shortfall.assessed_at
    row.acknowledged_by = alert.acknowledged_by
    row.acknowledged_at = alert.acknowledged_at
    row.resolved_at = alert.resolved_at


async def active_alert_of_pool(session: AsyncSession, pool: str) -> StaffingAlertRow | None:
    """The pool's raised or acknowledged alert, locked (one pool's events come in order on
    one partition, so there is at most one)."""
    query = (
        select(StaffingAlertRow)
        .where(StaffingAlertRow.pool == pool, StaffingAlertRow.status.in_(ACTIVE))
        .order_by(StaffingAlertRow.raised_at.desc())
        .limit(1)
        .with_for_update()
    )
    return (await session.execute(query)).scalars().first()


async def alert_for_update(session: AsyncSession, alert_id: str) -> StaffingAlertRow | None:
    query = select(StaffingAlertRow).where(StaffingAlertRow.alert_id == alert_id)
    return (await session.execute(query.with_for_update())).scalars().first()


async def alerts_of(
    session: AsyncSession,
    *,
    regions: Iterable[str] | None,
    statuses: Iterable[str],
    limit: int,
) -> list[StaffingAlertRow]:
    """Newest first; every region's when ``regions`` is None."""
    query = (
        select(StaffingAlertRow)
        .where(StaffingAlertRow.status.in_(list(statuses)))
        .order_by(StaffingAlertRow.raised_at.desc())
        .limit(limit)
    )
    if regions is not None:
        query = query.where(StaffingAlertRow.region.in_(sorted(regions)))
    return list((await session.execute(query)).scalars())
