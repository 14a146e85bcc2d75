"""KPI reads for a region and one facet over a range of periods, as JSON or CSV."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.config import JsonDict

from switchboard.contracts.events.common import Channel
from switchboard.feedback.adapters import rollup_store
from switchboard.feedback.domain.csv_export import KpiRow, iter_csv
from switchboard.feedback.domain.report import InvalidSlice, KpiReport, build_report, make_slice
from switchboard.feedback.domain.rollups import ALL_REGIONS, Period, zone_for
from switchboard.feedback.entrypoints.dependencies import FeedbackServiceDep, ReadConnectionDep
from switchboard.servicekit.auth import Principal, Role
from switchboard.servicekit.http import Problem
from switchboard.servicekit.service.dependencies import PrincipalDep, require_region

router = APIRouter(tags=["kpis"])

REGION = r"^([a-z][a-z0-9-]{0,31}|\*)$"
IDENTIFIER = r"^[^\s\x00-\x1f\x7f]{1,128}$"  # no spaces, no control characters (nor NUL)
SLUG = r"^[a-z0-9][a-z0-9_-]{0,63}$"


KPI_DATE: JsonDict = {"pattern": "^(19[7-9][0-9]|2[01][0-9][0-9])-"}
"""The years the report reads (1970 to 2199; it answers 422 outside them)."""


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _calendar_date(value: object) -> object:
    """Only YYYY-MM-DD, what ``format: date`` says: pydantic alone also reads a number
    (``0.0``) as a Unix time."""
    if isinstance(value, str) and not ISO_DATE.fullmatch(value):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


KpiDate = Annotated[date | None, BeforeValidator(_calendar_date)]


class KpiParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region: Annotated[str | None, Field(pattern=REGION)] = None
    agent: Annotated[str | None, Field(pattern=IDENTIFIER)] = None
    team: Annotated[str | None, Field(pattern=SLUG)] = None
    channel: Channel | None = None
    period: Period = Period.MONTH
    from_: KpiDate = Field(default=None, alias="from", json_schema_extra=KPI_DATE)
    to: KpiDate = Field(default=None, json_schema_extra=KPI_DATE)


def authorize_kpi_read(principal: Principal, *, region: str, agent_id: str | None) -> None:
    """Admins read everything; coordinators their regions; agents their own numbers."""
    if principal.role is Role.ADMIN:
        return
    if region == ALL_REGIONS:
        raise Problem(403, f"your token does not cover region {region!r}")
    require_region(principal, region)
    if principal.role is Role.AGENT and agent_id != principal.subject:
        raise Problem(403, "agents may read only their own KPIs (agent=<your id>)")


async def read_report(
    connection: ReadConnectionDep,
    service: FeedbackServiceDep,
    principal: PrincipalDep,
    params: Annotated[KpiParams, Query()],
) -> KpiReport:
    settings = service.settings
    zone = zone_for(params.region or ALL_REGIONS, settings.region_time_zones)
    # Today is the region's: buckets are its local days (past local midnight, not UTC's).
    last = params.to or service.deps.clock().astimezone(zone).date()
    try:
        query = make_slice(
            region=params.region,
            agent_id=params.agent,
            team=params.team,
            channel=params.channel,
            period=params.period,
            first=params.from_ or last,
            last=last,
            max_buckets=settings.kpi_max_buckets,
            zone=zone,
        )
    except InvalidSlice as error:
        raise Problem(422, str(error), title="Invalid KPI query") from error
    authorize_kpi_read(principal, region=query.region, agent_id=params.agent)
    series, open_before = await rollup_store.read_slice(connection, query=query)
    return build_report(query, series, open_before=open_before)


ReportDep = Annotated[KpiReport, Depends(read_report)]


@router.get("/kpis")
async def read_kpis(report: ReportDep) -> dict[str, Any]:
    """KPIs of one slice: the total over the range, and one entry per period bucket (for
    hours, ``bucket_start`` is a local time with the region's UTC offset)."""
    query = report.query
    return {
        "region": query.region,
        "facet": query.facet.value,
        "facet_value": query.facet_value or None,
        "period": query.period.value,
        "from": query.first.isoformat(),
        "to": query.last.isoformat(),
        "total": report.total.as_dict(),
        "series": [
            {"bucket_start": start.isoformat(), **k.as_dict()} for start, k in report.series
        ],
    }


@router.get(
    "/kpis.csv",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "One row per bucket",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def export_kpis(report: ReportDep) -> StreamingResponse:
    """The same series as CSV, one row per bucket."""
    query = report.query
    rows = [
        KpiRow(query.period.value, start, query.region, query.facet.value, query.facet_value, k)
        for start, k in report.series
    ]
    filename = f"kpis-{query.region.replace('*', 'all')}-{query.period.value}.csv"
    return StreamingResponse(
        iter_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
