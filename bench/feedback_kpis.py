"""KPI read benchmark: one region, one month, over roll-ups standing for 10,000,000 answers,
read over HTTP while customers' answers are being written.

1. Starts a private PostgreSQL and Kafka, runs feedback's migrations.
2. Loads ``fb_kpi_rollups`` in bulk, the way the consumer would have left it: a per
   agent-and-day table of answer aggregates (``--answers`` in total) is generated in SQL,
   then rolled up with INSERT ... SELECT ... GROUP BY into every bucket the service keeps
   (day / ISO week / month x region and all regions x all / channel / agent / team).
   Adds open surveys (as the survey timer leaves them: sent, not answered yet).
3. Serves feedback as production does (``switchboard-feedback serve``: the app as
   ``service_app`` builds it from the assembled service, relay and consumer running) and
   times ``GET /kpis?region=..&period=month&from=..&to=..`` over HTTP, open loop at
   ``--read-rate`` (a quarter of them on the current month, whose roll-up rows the answers
   update): first with nothing else going on (the baseline), then while customers post their
   answers to ``POST /surveys/{token}`` (how answers arrive) at ``--answer-rate``. Repeated
   ``--runs`` times: median and spread. Also the roll-up store's query alone.
4. Second baseline: the same answer KPIs computed naively by scanning raw answers in
   ``fb_answers`` (indexed by region, answered_at) on a smaller sample, and the ratio.

Target: KPI read p99 < 50 ms with 200 answers/s being written.
Loopback only. ``--smoke``: tiny sizes, checks it runs and the numbers are sane.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from infra import Infra, infrastructure
from load import Request, http_request, open_loop
from sqlalchemy import text
from stats import Distribution, over_runs, ratio

from switchboard.feedback.adapters import rollup_store
from switchboard.feedback.bootstrap import DEFINITION
from switchboard.feedback.domain.kpis import COUNTER_NAMES
from switchboard.feedback.domain.report import make_slice
from switchboard.feedback.domain.rollups import Period
from switchboard.feedback.domain.tokens import sign_survey_link
from switchboard.feedback.settings import FeedbackSettings
from switchboard.launcher.processes import migrate_all, stop_all, wait_ready
from switchboard.servicekit.db import create_engine
from switchboard.servicekit.migrations import migrate

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
       floor(n * 0.1 * random())::bigint AS surveys_undelivered,
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

OPEN_SURVEYS = f"""
INSERT INTO fb_surveys (survey_id, case_id, customer_id, region, channel, language, questions,
                        thread_ref, vip, agent_id, team, requested_at, expires_at, answered_at)
SELECT 'bench-survey-' || i, 'bench-case-' || i, 'bench-customer-' || i,
       'region-' || (1 + i % :regions), ({CHANNELS})[1 + i % 4], 'en',
       '["csat", "nps", "ces"]', NULL, false,
       'agent-' || (1 + i % :regions) || '-' || (1 + i % :agents),
       'team-' || (1 + i % :regions) || '-' || (i % :teams), now(), now() + interval '7 days', NULL
FROM generate_series(1, CAST(:count AS bigint)) i
"""

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


TARGET_P99 = 0.050
LEAD_SECONDS = 10.0
"""Open loop: the first request is due this long after the requests are built, time for
``load`` to start its client processes (each imports this script) on a busy machine."""
VENV_BIN = Path(sys.executable).parent


def load_text() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


class Traffic:
    """Prepared requests: KPI reads by a dashboard user, answers by customers."""

    def __init__(self, args: argparse.Namespace, base_url: str, settings: FeedbackSettings) -> None:
        self.args = args
        self.base_url = base_url
        self.settings = settings
        token = settings.token_verifier().issue(subject="bench", role="admin")
        self.auth = {"authorization": f"Bearer {token}"}
        self.rng = random.Random(7)
        self.next_survey = 1
        today = datetime.now(UTC).date()
        self.current_month = today.replace(day=1)

    def read(self, due: float) -> Request:
        rng = self.rng
        current = rng.random() < 0.25
        month = self.current_month if current else rng.choice(loaded_months(self.args))
        params = {
            "region": f"region-{1 + rng.randrange(self.args.regions)}",
            "period": "month",
            "from": month.isoformat(),
            "to": month.replace(day=28).isoformat(),
        }
        url = f"{self.base_url}/kpis?{urlencode(params)}"
        tag = "kpi current month" if current else "kpi past month"
        return Request(http_request("GET", url, headers=self.auth), due=due, tag=tag)

    def answer(self, due: float) -> Request:
        survey_id = f"bench-survey-{self.next_survey}"
        self.next_survey += 1
        token = sign_survey_link(
            survey_id=survey_id,
            expires_at=datetime.now(UTC) + timedelta(days=7),
            secret=self.settings.link_secret_bytes[0],
        )
        rng = self.rng
        body = json.dumps(
            {"csat": rng.randint(1, 5), "nps": rng.randint(0, 10), "ces": rng.randint(1, 7)}
        ).encode()
        headers = {"content-type": "application/json"}
        url = f"{self.base_url}/surveys/{token}"
        return Request(http_request("POST", url, body, headers), due=due, tag="answer")

    def phase(self, *, answers: bool) -> list[Request]:
        start = time.time() + LEAD_SECONDS
        seconds = self.args.seconds
        requests = [
            self.read(start + i / self.args.read_rate)
            for i in range(int(self.args.read_rate * seconds))
        ]
        if answers:
            requests += [
                self.answer(start + i / self.args.answer_rate)
                for i in range(int(self.args.answer_rate * seconds))
            ]
        return sorted(requests, key=lambda request: request.due)


async def prepare(args: argparse.Namespace, database_url: str) -> None:
    schema = DEFINITION.migrations
    await migrate(database_url, versions_dir=schema.versions_dir, metadata=schema.metadata)
    engine = create_engine(database_url)
    started = time.perf_counter()
    await load_rollups(engine, args)
    await vacuum(engine, "fb_kpi_rollups")
    surveys = int(args.answer_rate * args.seconds * args.runs) + 1
    async with engine.begin() as conn:
        await conn.execute(
            text(OPEN_SURVEYS),
            {"regions": args.regions, "agents": args.agents, "teams": args.teams, "count": surveys},
        )
    await vacuum(engine, "fb_surveys")
    print(f"roll-ups and {surveys:,} open surveys loaded in {time.perf_counter() - started:.1f} s")
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
    await engine.dispose()


async def baselines(args: argparse.Namespace, database_url: str) -> tuple[list[float], list[float]]:
    """(the roll-up store's query alone, the naive scan of raw answers)."""
    engine = create_engine(database_url)
    store = await time_store(engine, args)
    existing = await table_rows(engine, "fb_answers")
    if existing < args.naive_sample:
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
    naive = await time_naive(engine, args)
    await engine.dispose()
    return store, naive


def latencies(answers, prefix: str) -> list[float]:
    """Of the answered requests tagged ``prefix…``: reads answer 200, answers 201."""
    status = 201 if prefix == "answer" else 200
    return [a.latency for a in answers if a.tag.startswith(prefix) and a.status == status]


def bench(args: argparse.Namespace, infra: Infra) -> list[str]:
    problems: list[str] = []
    database_url = infra.database("feedback")
    asyncio.run(prepare(args, database_url))
    settings = FeedbackSettings.load(database_url=database_url)
    server = infra.service(
        "feedback",
        {
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
            # Every customer here comes from 127.0.0.1; in production each from their own
            # address. The limit stays on (its cost counts), high enough never to refuse.
            "SURVEY_RATE_LIMIT": "1000000/minute",
        },
        inherit=True,  # the tokens and survey links made here must verify in the server
    )
    # As production deploys: the migrate step (a no-op unless the code moved on since the
    # data was loaded), then serve.
    migrate_all([server], VENV_BIN)
    server.start(VENV_BIN)
    try:
        wait_ready([server], 300)
        base_url = server.url
        traffic = Traffic(args, base_url, settings)
        warm = [traffic.read(time.time() + 1.0 + i / 50) for i in range(args.warmup)]
        open_loop(base_url, warm, clients=1)
        quiet_runs, busy_runs = [], []
        for _ in range(args.runs):
            quiet_runs.append(open_loop(base_url, traffic.phase(answers=False), clients=1))
            busy_runs.append(open_loop(base_url, traffic.phase(answers=True), clients=2))
    finally:
        stop_all([server], grace=30)
    store, naive = asyncio.run(baselines(args, database_url))

    def show(label: str, runs, prefix: str) -> list[Distribution]:
        dists = [Distribution.of(latencies(run.answers, prefix)) for run in runs]
        print(f"{label}:")
        print(f"    p50 {over_runs([d.p50 * 1000 for d in dists], ' ms', 2)}")
        print(f"    p99 {over_runs([d.p99 * 1000 for d in dists], ' ms', 2)}")
        every = [v for run in runs for v in latencies(run.answers, prefix)]
        print(f"    all runs: {Distribution.of(every).ms()}")
        return dists

    print(
        f"GET /kpis over HTTP, open loop at {args.read_rate:g}/s, {args.seconds:g} s per run, "
        f"{args.runs} runs:"
    )
    quiet = show("  baseline: no answers being written", quiet_runs, "kpi")
    busy = show(f"  with {args.answer_rate:g} answers/s being written", busy_runs, "kpi")
    show("    of them, the current month (rows being updated)", busy_runs, "kpi current")
    written = show("  POST /surveys/{token} → 201 (the answers)", busy_runs, "answer")
    p99 = sorted(d.p99 for d in busy)[len(busy) // 2]
    quiet_p99 = sorted(d.p99 for d in quiet)[len(quiet) // 2]
    print(
        f"  p99 with writes / without: {ratio(p99, quiet_p99)}; answers written/s: "
        f"{over_runs([run.rate(201) for run in busy_runs], digits=0)}"
    )
    failures = []
    for phase, runs in (("without answers", quiet_runs), ("with answers", busy_runs)):
        for number, run in enumerate(runs, 1):
            bad = {s: n for s, n in run.statuses().items() if s not in (200, 201)}
            if bad or run.errors or run.abandoned:
                failures.append(
                    f"{phase} run {number}: statuses {bad}, errors {run.errors}, "
                    f"{run.abandoned} unanswered"
                )
    expected = int(args.answer_rate * args.seconds)
    short = [d.n for d in written if d.n < expected]
    if short:
        failures.append(f"answers accepted {short} of {expected} in a run")
    for failure in failures:
        print(f"  not answered in time or refused (each one misses the target): {failure}")
    met = p99 < TARGET_P99 and not failures
    print(
        f"  target KPI read p99 < {TARGET_P99 * 1000:.0f} ms while answers are written: "
        f"{'✓' if met else '✗'} ({p99 * 1000:.1f} ms, median of the runs)"
    )
    late = [a.sent - a.due for run in quiet_runs + busy_runs for a in run.answers if a.sent]
    late_p50 = Distribution.of(late).p50 > 0.010
    print(
        f"  load generator lateness (sent - due; counted in the latencies): "
        f"{Distribution.of(late).ms()}"
        + (" ⚠ late: the machine is too busy to start the clients in time" if late_p50 else "")
    )
    print(f"roll-up store query alone (no HTTP):   {Distribution.of(store).ms()}")
    sample = args.naive_sample
    print(f"naive scan of {sample:,} raw answers: {Distribution.of(naive).ms()}")
    naive_p50, store_p50 = Distribution.of(naive).p50, Distribution.of(store).p50
    print(
        f"ratio naive / roll-up store query (p50): {naive_p50 / store_p50:.1f}x; the scan reads "
        f"~{sample * 30 // (args.regions * args.days):,} rows per region-month and grows "
        "linearly with the answers, the roll-up read stays at one row per bucket"
    )
    print(f"{load_text()} on {os.cpu_count()} CPUs")
    if not all(d.n for d in quiet + busy):
        problems.append("a run timed no KPI read")
    if not all(d.n for d in written):
        problems.append("a run had no answer accepted")
    if args.smoke and failures:  # tiny load: every request must be answered
        problems += failures
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=10_000_000)
    parser.add_argument("--regions", type=int, default=8)
    parser.add_argument("--agents", type=int, default=250, help="agents per region")
    parser.add_argument("--teams", type=int, default=10, help="teams per region")
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--read-rate", type=float, default=50.0, help="KPI reads per second")
    parser.add_argument("--answer-rate", type=float, default=200.0, help="answers per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="per run and phase")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=200, help="KPI reads before the runs")
    parser.add_argument("--reads", type=int, default=2000, help="store-alone queries")
    parser.add_argument("--naive-sample", type=int, default=1_000_000)
    parser.add_argument("--naive-reads", type=int, default=200)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check it runs")
    args = parser.parse_args()
    if args.smoke:
        args.answers, args.regions, args.agents, args.teams = 200_000, 2, 20, 4
        args.read_rate, args.answer_rate, args.seconds, args.runs = 10.0, 20.0, 2.0, 1
        args.warmup, args.reads, args.naive_sample, args.naive_reads = 10, 50, 10_000, 10
    print(f"{load_text()} on {os.cpu_count()} CPUs", flush=True)
    try:
        with infrastructure(prefix="feedback-bench-") as infra:
            problems = bench(args, infra)
    except Exception as error:
        print(f"RESULT feedback_kpis: failed {type(error).__name__}: {error}")
        raise SystemExit(1) from error
    if problems:
        print(f"RESULT feedback_kpis: failed {'; '.join(problems)}")
        raise SystemExit(1)
    print("RESULT feedback_kpis: ok")


if __name__ == "__main__":
    main()
