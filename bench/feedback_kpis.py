"""KPI read benchmark: one region, one month, over roll-ups standing for 10,000,000 answers.

1. Starts a private PostgreSQL, runs feedback's migrations.
2. Loads ``fb_kpi_rollups`` in bulk, the way the consumer would have left it: a per
   agent-and-day table of answer aggregates (``--answers`` in total) is generated in SQL,
   then rolled up with INSERT ... SELECT ... GROUP BY into every bucket the service keeps
   (day / ISO week / month x region and all regions x all / channel / agent / team).
3. Times ``GET /kpis?region=..&period=month&from=..&to=..`` through the service's real
   FastAPI app (JWT check, query parsing, the roll-up store's SQL, the KPI formulas), and
   the store's two queries alone; prints the plan of the bucket read.
4. Baseline: the same answer KPIs computed naively by scanning raw answers in
   ``fb_answers`` (indexed by region, answered_at) on a smaller sample, and the ratio.

Target: p99 < 50 ms for the roll-up read.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
from sqlalchemy import text

from switchboard.feedback.adapters import rollup_store
from switchboard.feedback.bootstrap import DEFINITION
from switchboard.feedback.domain.kpis import COUNTER_NAMES
from switchboard.feedback.domain.report import make_slice
from switchboard.feedback.domain.rollups import Period
from switchboard.feedback.entrypoints.app import HTTP_API
from switchboard.feedback.settings import FeedbackSettings
from switchboard.servicekit.db import create_engine
from switchboard.servicekit.devinfra.postgres import PostgresCluster
from switchboard.servicekit.migrations import migrate
from switchboard.servicekit.service import assemble, service_app

CHANNELS = "ARRAY['phone','email','chat','social']"
FIRST_DAY = date(2025, 1, 1)

AGENT_DAYS = f"""
CREATE UNLOGGED TABLE bench_agent_days AS
WITH base AS (
  SELECT 'region-' || r AS region, CAST(:first_day AS date) + k AS day,
         'agent-' || r || '-' || a AS agent_id,
         'team-' || r || '-' || (a % :teams) AS team, ({CHANNELS})[1 + a % 4] AS channel,
         floor(random() * 2 * CAST(:mean AS float8) + 0.5)::bigint AS n
  FROM generate_series(1, :regions) r,
       generate_series(0, CAST(:days AS int) - 1) k,
       generate_series(1, :agents) a
)
SELECT region, day, agent_id, team, channel,
       n * 3 AS surveys_requested, n AS surveys_answered,
       n AS csat_answers, floor(n * (0.55 + 0.4 * random()))::bigint AS csat_satisfied,
       n AS nps_answers, floor(n * (0.3 + 0.4 * random()))::bigint AS nps_promoters,
       floor(n * 0.25 * random())::bigint AS nps_detractors,
       n AS ces_answers, floor(n * (4 + 3 * random()))::bigint AS ces_sum,
       n * 3 AS first_responses,
       (n * 3 * (60000 + 3600000 * random()))::bigint AS first_response_ms_sum,
       n * 3 AS resolutions,
       (n * 3 * (600000 + 86400000 * random()))::bigint AS resolution_ms_sum,
       floor(n * 3 * (0.5 + 0.4 * random()))::bigint AS first_contact_resolutions,
       floor(n * 3 * (0.8 + 0.2 * random()))::bigint AS sla_achieved,
       floor(n * 3 * 0.1 * random())::bigint AS sla_breached,
       n * 3 AS cases_opened, floor(n * 0.3 * random())::bigint AS cases_reopened
FROM base
"""

COUNTERS = COUNTER_NAMES
BUCKETS = {
    "day": "day",
    "week": "date_trunc('week', day)::date",  # PostgreSQL weeks start on Monday, like ISO
    "month": "date_trunc('month', day)::date",
}
FACETS = {"all": "''", "channel": "channel", "agent": "agent_id", "team": "team"}

RAW_ANSWERS = f"""
INSERT INTO fb_answers (survey_id, case_id, region, channel, agent_id, team, csat, nps, ces,
                        comment, reasons, answered_at)
SELECT 's-' || i, 'c-' || i, 'region-' || (1 + i % :regions), ({CHANNELS})[1 + i % 4],
       'agent-' || (1 + i % :regions) || '-' || (i % :agents), NULL,
       1 + (random() * 4)::int, (random() * 10)::int, 1 + (random() * 6)::int, NULL, '[]',
       timestamptz '2025-01-01' + random() * make_interval(days => CAST(:days AS int))
FROM generate_series(CAST(:first_id AS bigint), CAST(:sample AS bigint)) i
"""

NAIVE_READ = """
SELECT count(*) AS answered,
       count(csat) AS csat_answers, count(*) FILTER (WHERE csat >= 4) AS csat_satisfied,
       count(nps) AS nps_answers, count(*) FILTER (WHERE nps >= 9) AS promoters,
       count(*) FILTER (WHERE nps <= 6) AS detractors, avg(ces) AS ces
FROM fb_answers
WHERE region = :region AND answered_at >= :start AND answered_at < :end
"""


def loaded_months(args: argparse.Namespace) -> list[date]:
    last = FIRST_DAY + timedelta(days=args.days - 1)
    months, month = [], FIRST_DAY
    while month <= last:
        months.append(month)
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary(samples: list[float]) -> str:
    ms = [s * 1000 for s in samples]
    return (
        f"p50 {percentile(ms, 0.5):6.2f} ms  p99 {percentile(ms, 0.99):6.2f} ms  "
        f"max {max(ms):6.2f} ms  mean {statistics.mean(ms):6.2f} ms  (n={len(ms)})"
    )


async def load_rollups(engine, args: argparse.Namespace) -> None:
    mean = args.answers / (args.regions * args.agents * args.days)
    params = {
        "regions": args.regions,
        "agents": args.agents,
        "teams": args.teams,
        "days": args.days,
        "first_day": FIRST_DAY,
        "mean": mean,
    }
    async with engine.begin() as conn:
        await conn.execute(text("SELECT setseed(0.42)"))
        await conn.execute(text(AGENT_DAYS), params)
    sums = ", ".join(f"sum({c})" for c in COUNTERS)
    columns = ", ".join(COUNTERS)
    for period, bucket in BUCKETS.items():
        for region in ("region", "'*'"):
            for facet, value in FACETS.items():
                statement = (
                    f"INSERT INTO fb_kpi_rollups (period, region, facet, facet_value, bucket, "
                    f"{columns}) SELECT '{period}', {region}, '{facet}', {value}, {bucket}, "
                    f"{sums} FROM bench_agent_days GROUP BY 1, 2, 3, 4, 5"
                )
                async with engine.begin() as conn:
                    await conn.execute(text(statement))


async def time_api(
    client: httpx.AsyncClient, headers, args, *, facet: dict[str, str]
) -> list[float]:
    rng = random.Random(7)
    samples = []
    for i in range(args.reads + 50):
        month = rng.choice(loaded_months(args))
        params = {
            "region": f"region-{1 + rng.randrange(args.regions)}",
            "period": "month",
            "from": month.isoformat(),
            "to": month.replace(day=28).isoformat(),
            **facet,
        }
        if "agent" in facet:
            params["agent"] = f"agent-{params['region'][7:]}-{1 + rng.randrange(args.agents)}"
        started = time.perf_counter()
        response = await client.get("/kpis", params=params, headers=headers)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.text
        assert response.json()["total"]["surveys_answered"] > 0
        if i >= 50:
            samples.append(elapsed)
    return samples


async def time_store(engine, args) -> list[float]:
    rng = random.Random(11)
    samples = []
    for _ in range(args.reads):
        month = rng.choice(loaded_months(args))
        query = make_slice(
            region=f"region-{1 + rng.randrange(args.regions)}",
            agent_id=None,
            team=None,
            channel=None,
            period=Period.MONTH,
            first=month,
            last=month,
            max_buckets=400,
        )
        started = time.perf_counter()
        async with engine.connect() as connection:
            conn = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await rollup_store.read_slice(conn, query=query)
        samples.append(time.perf_counter() - started)
    return samples


async def time_naive(engine, args) -> list[float]:
    rng = random.Random(13)
    samples = []
    async with engine.connect() as conn:
        for _ in range(args.naive_reads):
            month = rng.choice(loaded_months(args))
            end = date(month.year + month.month // 12, month.month % 12 + 1, 1)
            params = {
                "region": f"region-{1 + rng.randrange(args.regions)}",
                "start": month,
                "end": end,
            }
            started = time.perf_counter()
            (await conn.execute(text(NAIVE_READ), params)).one()
            samples.append(time.perf_counter() - started)
    return samples


async def table_rows(engine, table: str) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text(f"SELECT count(*) FROM {table}")))


async def vacuum(engine, table: str) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("COMMIT"))
        await conn.execute(text(f"VACUUM ANALYZE {table}"))


async def show_plan(engine, args) -> None:
    month = loaded_months(args)[len(loaded_months(args)) // 2]
    query = make_slice(
        region="region-3",
        agent_id=None,
        team=None,
        channel=None,
        period=Period.MONTH,
        first=month,
        last=month,
        max_buckets=400,
    )
    api_sql = rollup_store.SLICE_STATEMENT.params(rollup_store.slice_parameters(query)).compile(
        dialect=engine.dialect, compile_kwargs={"literal_binds": True}
    )
    async with engine.connect() as conn:
        plan = (await conn.execute(text(f"EXPLAIN ANALYZE {api_sql}"))).scalars().all()
    print("the API's statement:\n    " + " ".join(str(api_sql).split()))
    print("its plan:\n    " + "\n    ".join(plan))


async def bench(args: argparse.Namespace, cluster: PostgresCluster) -> None:
    await asyncio.to_thread(cluster.create_database, "feedback")
    settings = FeedbackSettings.load(database_url=cluster.url("feedback"))
    schema = DEFINITION.migrations
    await migrate(settings.database_url, versions_dir=schema.versions_dir, metadata=schema.metadata)
    engine = create_engine(settings.database_url)
    if await table_rows(engine, "fb_kpi_rollups") == 0:
        started = time.perf_counter()
        await load_rollups(engine, args)
        await vacuum(engine, "fb_kpi_rollups")
        print(f"roll-ups loaded in {time.perf_counter() - started:.1f} s")
    async with engine.connect() as conn:
        answers = await conn.scalar(
            text(
                "SELECT sum(surveys_answered) FROM fb_kpi_rollups "
                "WHERE period = 'month' AND region = '*' AND facet = 'all'"
            )
        )
    print(
        f"fb_kpi_rollups: {await table_rows(engine, 'fb_kpi_rollups'):,} rows standing for "
        f"{answers:,} answers ({args.regions} regions x {args.agents} agents x "
        f"{args.days} days)"
    )
    await show_plan(engine, args)

    service = assemble(DEFINITION, settings)  # built, not started: no broker needed
    app = service_app(service, HTTP_API)
    token = settings.token_verifier().issue(subject="bench", role="admin")
    headers = {"Authorization": f"Bearer {token}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        region_api = await time_api(client, headers, args, facet={})
        agent_api = await time_api(client, headers, args, facet={"agent": ""})
    store = await time_store(service.engine, args)
    print(f"GET /kpis region+month (real API):       {summary(region_api)}   [target p99 < 50 ms]")
    print(f"GET /kpis region+agent+month (real API): {summary(agent_api)}")
    print(f"roll-up store query alone:               {summary(store)}")
    print(f"load average {os.getloadavg()} on {os.cpu_count()} CPUs")

    existing = await table_rows(engine, "fb_answers")
    if existing < args.naive_sample:  # a kept data dir is topped up to the asked sample
        async with engine.begin() as conn:
            await conn.execute(text("SELECT setseed(0.42)"))
            await conn.execute(
                text(RAW_ANSWERS),
                {
                    "regions": args.regions,
                    "agents": args.agents,
                    "days": args.days,
                    "sample": args.naive_sample,
                    "first_id": existing + 1,
                },
            )
        await vacuum(engine, "fb_answers")
    sample = await table_rows(engine, "fb_answers")
    naive = await time_naive(engine, args)
    print(f"naive scan of {sample:,} raw answers:  {summary(naive)}")
    print(
        f"ratio naive / roll-up store query (p50): "
        f"{percentile(naive, 0.5) / percentile(store, 0.5):.1f}x at {sample:,} raw answers; "
        f"the scan reads ~{sample * 30 // (args.regions * args.days):,} rows per region-month "
        "and grows linearly with the answers, the roll-up read stays at one row per bucket"
    )
    await service.engine.dispose()
    await engine.dispose()


async def main(args: argparse.Namespace) -> None:
    with contextlib.ExitStack() as stack:
        if args.data_dir is None:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sb-bench-fb-")))
            tmp.chmod(0o755)  # PostgreSQL runs as another user when we are root
            data_dir = tmp / "pg"
        else:
            data_dir = args.data_dir
        cluster = PostgresCluster(data_dir, durable=False)
        await asyncio.to_thread(cluster.start)
        try:
            await bench(args, cluster)
        finally:
            await asyncio.to_thread(cluster.stop)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=10_000_000)
    parser.add_argument("--regions", type=int, default=8)
    parser.add_argument("--agents", type=int, default=250, help="agents per region")
    parser.add_argument("--teams", type=int, default=10, help="teams per region")
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--naive-sample", type=int, default=1_000_000)
    parser.add_argument("--naive-reads", type=int, default=200)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep the PostgreSQL cluster here and reuse its loaded tables on the next run",
    )
    asyncio.run(main(parser.parse_args()))
