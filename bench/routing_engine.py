"""The routing index on its own: offers per second and the latency of each kind of decision,
at 30,000 agents and 1,000,000 waiting cases that entered at step 0 with their step timers
running.

The index (``domain/routing_index.py``) is fed exactly what the offer loop feeds it from
the rows (``service_layer/offers/loop.py``): records built by ``agent_from_row`` and
``item_from_row`` from rows kept as the use cases leave them, at simulated time that
advances ``1 / --rate`` seconds per case done, so that the index sees per simulated second
what a replica making ``--rate`` offers a second sees:
- case arrived: a new case at step 0 (``queue_opened_cases``); one arrives per case done;
- case reviewed: its step timer fired (``review_case``: the row's step advanced, queued
  again) and the loop re-reads the row; the timers of offered cases are dropped, as the
  offer writer drops them;
- offer read back: the offer writer committed the offer (case offered; the agent's row one
  slot more, idle since the commit) and the loop reads both rows back;
- accepted, resolved: the case's row changed (the loop forgets the case);
- agent freed: wrap-up finished, the agent's row has one slot back and is read again.
Only decisions that produce an offer count as offers; the rate is offers per second of the
index's time on all of the above. Times are the index's own: CPU time of its calls (what
other processes on a shared machine take is not counted), wall clock beside it.

The backlog entered at step 0 during the last ``--backlog-seconds`` (each case's step timer
counting from its arrival), before the agents logged in; every agent is busy after that.
Baseline, same run, same state: a naive router that scans every waiting case of the freed
agent's pool. Targets: ≥ 20,000 offers/s; p99 < 1 ms for every kind of decision.

    .venv/bin/python bench/routing_engine.py [--agents 30000 --cases 1000000 --rounds 3]
"""

from __future__ import annotations

import argparse
import heapq
import os
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from stats import Distribution, over_runs

from switchboard.routing.adapters.records import agent_from_row, item_from_row
from switchboard.routing.domain.decisions import Decision
from switchboard.routing.domain.model import Agent, ItemState, WorkItem
from switchboard.routing.domain.policy import (
    PolicySet,
    advance_steps,
    next_review_at,
    policy_set_from_data,
)
from switchboard.routing.domain.routing_index import RoutingIndex
from switchboard.routing.service_layer.offers.loop import settle_long_lived

NAME = "routing_engine"
DEPARTMENTS = ["billing", "tech", "sales", "returns", "claims"]
LANGUAGES = ["da", "fr", "fi", "pl", "no"]
CHANNELS = ["phone", "chat", "email"]
CAPACITY = {"phone": 1, "chat": 3, "email": 5, "social": 3}
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
KINDS = ("agent freed", "case arrived", "case reviewed", "offer read back", "accepted", "resolved")
TARGET_RATE = 20_000
TARGET_P99 = 1e-3


def policies() -> PolicySet:
    return policy_set_from_data(
        {
            "policies": [
                {
                    "name": department,
                    "when": f'case.department == "{department}"',
                    "steps": [
                        {
                            "requires": f"{department} >= 6 and language == case.language",
                            "timeout": "1m",
                        },
                        {"requires": f"{department} >= 3", "timeout": "2m"},
                    ],
                    "fallback": "true",
                }
                for department in DEPARTMENTS
            ]
        }
    )


def agent_row(rng: random.Random, number: int, pools: int, now: datetime) -> SimpleNamespace:
    """An agent's row as the directory writes it, logged in."""
    return SimpleNamespace(
        id=f"agent-{number}",
        pools=[f"pool-{number % pools}"],
        skills={d: rng.randint(1, 10) for d in rng.sample(DEPARTMENTS, 3)},
        languages=rng.sample(LANGUAGES, 2),
        region=f"region-{number % pools}",
        team=f"team-{number % 7}",
        capacity=dict(CAPACITY),
        presence="available",
        idle_since=now,
        load={},
    )


def case_row(
    rng: random.Random, number: int, pools: int, entered: datetime, policies: PolicySet
) -> SimpleNamespace:
    """A case's row as ``queue_opened_cases`` writes it: at step 0 of its policy."""
    pool = rng.randrange(pools)
    row = SimpleNamespace(
        case_id=f"case-{number}",
        pool=f"pool-{pool}",
        channel=rng.choice(CHANNELS),
        priority=rng.choice((3, 3, 3, 2, 4, 1)),
        enqueued_at=entered,
        language=rng.choice(LANGUAGES),
        region=f"region-{pool}",
        department=rng.choice(DEPARTMENTS),
        preferred_agent=None,
        preferred_until=None,
        excluded_agents=[],
        policy="",
        step=0,
        step_started_at=entered,
    )
    row.policy = policies.for_case(item_from_row(row)).name  # type: ignore[arg-type]
    return row


def row_of(item: WorkItem) -> SimpleNamespace:
    """The row of a case the index holds as waiting (the index keeps the row's fields)."""
    return SimpleNamespace(
        case_id=item.case_id,
        pool=item.pool,
        channel=item.channel.value,
        priority=item.priority,
        enqueued_at=item.enqueued_at,
        language=item.language,
        region=item.region,
        department=item.department,
        preferred_agent=item.preferred_agent,
        preferred_until=item.preferred_until,
        excluded_agents=list(item.excluded_agents),
        policy=item.policy,
        step=item.step,
        step_started_at=item.step_started_at,
    )


@dataclass
class Round:
    offers: int = 0
    cpu: dict[str, list[int]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    wall: dict[str, list[int]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    offers_by: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    simulated: float = 0.0

    def cpu_seconds(self) -> float:
        return sum(sum(each) for each in self.cpu.values()) / 1e9

    def wall_seconds(self) -> float:
        return sum(sum(each) for each in self.wall.values()) / 1e9

    def all_cpu(self) -> list[float]:
        return [ns / 1e9 for each in self.cpu.values() for ns in each]

    def all_wall(self) -> list[float]:
        return [ns / 1e9 for each in self.wall.values() for ns in each]


def clock_overhead() -> tuple[int, int]:
    """What an empty measured call costs on each clock (subtracted from every sample)."""
    walls, cpus = [], []
    for _ in range(20_000):
        wall, cpu = time.perf_counter_ns(), time.thread_time_ns()
        cpu_end = time.thread_time_ns()
        walls.append(time.perf_counter_ns() - wall)
        cpus.append(cpu_end - cpu)
    return int(statistics.median(walls)), int(statistics.median(cpus))


class Simulation:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.policies = policies()
        self.index = RoutingIndex(policies=self.policies)
        self.clock = START
        self.tick = timedelta(seconds=1 / args.rate)
        self.commit_lag = timedelta(milliseconds=2)  # from the decision to the writer's commit
        self.agents: dict[str, SimpleNamespace] = {}
        self.reviews: list[tuple[datetime, str]] = []
        self.busy: list[tuple[str, str, str]] = []  # case, agent, channel: offered or held
        self.next_case = 0
        self.round = Round()
        self.wall_overhead, self.cpu_overhead = clock_overhead()

    # -- what the index is fed ---------------------------------------------------------

    def timed(self, kind: str, call: Callable[[], list[Decision] | None]) -> list[Decision]:
        wall, cpu = time.perf_counter_ns(), time.thread_time_ns()
        made = call()
        cpu_end = time.thread_time_ns()
        wall_end = time.perf_counter_ns()
        self.round.cpu[kind].append(max(0, cpu_end - cpu - self.cpu_overhead))
        self.round.wall[kind].append(max(0, wall_end - wall - self.wall_overhead))
        if made:
            self.round.offers += len(made)
            self.round.offers_by[kind] += len(made)
            return made
        return []

    def commit(self, decisions: list[Decision]) -> None:
        """The offer writer commits the offers (each case offered, its agent's row one slot
        more, idle since the commit); the loop then reads the changed rows back."""
        committed = self.clock + self.commit_lag
        for decision in decisions:
            row = self.agents[decision.agent_id]
            channel = decision.channel.value
            row.load = {**row.load, channel: row.load.get(channel, 0) + 1}
            row.idle_since = committed
            self.busy.append((decision.case_id, decision.agent_id, channel))
        index, more = self.index, []
        for decision in decisions:
            record = agent_from_row(self.agents[decision.agent_id])  # type: ignore[arg-type]

            def read_back(
                case_id: str = decision.case_id, record: Agent = record
            ) -> list[Decision]:
                index.forget(case_id)
                return index.upsert_agent(record, now=committed)

            more += self.timed("offer read back", read_back)
        if more:
            self.commit(more)

    def schedule_review(self, row: SimpleNamespace) -> None:
        due = next_review_at(
            self.policies.by_name(row.policy),
            step=row.step,
            step_started_at=row.step_started_at,
            preferred_until=row.preferred_until if row.preferred_agent else None,
        )
        if due is not None:
            heapq.heappush(self.reviews, (due, row.case_id))

    def arrive(self, entered: datetime, *, timed: bool) -> None:
        row = case_row(self.rng, self.next_case, self.args.pools, entered, self.policies)
        self.next_case += 1
        item = item_from_row(row)  # type: ignore[arg-type]
        if timed:
            made = self.timed("case arrived", lambda: self.index.upsert_case(item, now=self.clock))
        else:
            made = self.index.upsert_case(item, now=self.clock)
        if made:
            self.commit(made)  # offered on arrival: no review timer is set
        else:
            self.schedule_review(row)

    def review_due(self) -> None:
        """Step timers due by now fire: the row moves on a step and the loop re-reads it."""
        reviews, index = self.reviews, self.index
        while reviews and reviews[0][0] <= self.clock:
            _, case_id = heapq.heappop(reviews)
            item = index.items.get(case_id)
            if item is None or item.state is not ItemState.WAITING:
                continue  # offered: the writer dropped its timer
            row = row_of(item)
            row.step, row.step_started_at = advance_steps(
                self.policies.by_name(row.policy),
                step=row.step,
                started_at=row.step_started_at,
                now=self.clock,
            )
            fresh = item_from_row(row)  # type: ignore[arg-type]
            made = self.timed(
                "case reviewed",
                lambda fresh=fresh: index.upsert_case(fresh, now=self.clock),  # type: ignore[misc]
            )
            if made:
                self.commit(made)
            else:
                self.schedule_review(row)

    def finish_one(self) -> None:
        """A case offered earlier is accepted, resolved and wrapped up; its agent is freed."""
        busy = self.busy
        slot = self.rng.randrange(len(busy))
        case_id, agent_id, channel = busy[slot]
        busy[slot] = busy[-1]
        busy.pop()
        index = self.index
        self.timed("accepted", lambda: index.forget(case_id))
        self.timed("resolved", lambda: index.forget(case_id))
        row = self.agents[agent_id]
        row.load = {**row.load, channel: row.load[channel] - 1}
        row.idle_since = self.clock
        record = agent_from_row(row)  # type: ignore[arg-type]

        def freed() -> list[Decision]:
            index.forget(case_id)
            return index.upsert_agent(record, now=self.clock)

        self.commit(self.timed("agent freed", freed))

    # -- the run ------------------------------------------------------------------------

    def load(self) -> None:
        args = self.args
        began = time.perf_counter()
        window = args.backlog_seconds
        for _ in range(args.cases):
            self.arrive(START - timedelta(seconds=self.rng.uniform(0, window)), timed=False)
        self.loaded_cases = time.perf_counter() - began
        self.clock += timedelta(seconds=1)
        began = time.perf_counter()
        for number in range(args.agents):
            row = self.agents[f"agent-{number}"] = agent_row(
                self.rng, number, args.pools, self.clock
            )
            self.commit(self.index.upsert_agent(agent_from_row(row), now=self.clock))  # type: ignore[arg-type]
        self.loaded_agents = time.perf_counter() - began
        settle_long_lived()  # as the offer loop does after its first sync
        self.round = Round()

    def run_round(self) -> Round:
        self.round = Round()
        began = self.clock
        while self.round.offers < self.args.offers and self.busy:
            self.clock += self.tick
            self.review_due()
            self.finish_one()
            self.arrive(self.clock, timed=True)
        self.round.simulated = (self.clock - began).total_seconds()
        return self.round


def naive_pick(index: RoutingIndex, agent: Agent, waiting: dict[str, list[WorkItem]]) -> Any:
    """The baseline: scan every waiting case of the agent's pools."""
    best = None
    best_key = None
    for pool in agent.pools:
        for candidate in waiting[pool]:
            if candidate.state is not ItemState.WAITING or not agent.can_take(candidate.channel):
                continue
            if agent.id in candidate.excluded_agents:
                continue
            requirement = index.policy_of(candidate).steps[candidate.step].requirement
            if not requirement.matches(agent, candidate):
                continue
            key = (candidate.priority, candidate.enqueued_at, candidate.arrival)
            if best_key is None or key < best_key:
                best, best_key = candidate, key
    return best


def baseline(sim: Simulation, samples: int) -> tuple[Distribution, int]:
    index = sim.index
    waiting: dict[str, list[WorkItem]] = {name: [] for name in index.pools}
    for each in index.items.values():
        if each.state is ItemState.WAITING:
            waiting[each.pool].append(each)
    agents = list(index.agents.values())
    times: list[float] = []
    agreed = 0
    for _ in range(samples):
        candidate = sim.rng.choice(agents)
        saved_load = candidate.load
        candidate.load = {}
        began = time.thread_time_ns()
        naive = naive_pick(index, candidate, waiting)
        times.append((time.thread_time_ns() - began - sim.cpu_overhead) / 1e9)
        best, _, _ = index._best_cases_for(candidate, candidate.open_channels())
        agreed += (best[1] if best else None) is naive
        candidate.load = saved_load
    return Distribution.of(times), agreed


def report(sim: Simulation, rounds: list[Round], args: argparse.Namespace) -> list[str]:
    index = sim.index
    waiting = sum(1 for each in index.items.values() if each.state is ItemState.WAITING)
    failed: list[str] = []
    print(
        f"setup: {args.cases:,} cases (entered at step 0 over the last {args.backlog_seconds:g} s) "
        f"in {sim.loaded_cases:.1f} s ({args.cases / sim.loaded_cases:,.0f}/s), "
        f"{args.agents:,} agents in {sim.loaded_agents:.1f} s; {len(sim.busy):,} cases offered "
        f"or held; {waiting:,} waiting"
    )
    for number, each in enumerate(rounds, 1):
        counts = {kind: len(each.cpu[kind]) for kind in KINDS}
        print(
            f"round {number}: {each.offers:,} offers in {each.simulated:.1f} simulated s; "
            f"index time {each.cpu_seconds():.2f} s CPU ({each.wall_seconds():.2f} s wall) → "
            f"{each.offers / each.cpu_seconds():,.0f} offers/s; calls "
            + ", ".join(f"{kind} {counts[kind]:,}" for kind in KINDS)
        )
    print("per kind of decision (index CPU time per call, all rounds; wall p99 beside it):")
    for kind in KINDS:
        cpu = Distribution.of([ns / 1e9 for each in rounds for ns in each.cpu[kind]])
        wall = Distribution.of([ns / 1e9 for each in rounds for ns in each.wall[kind]])
        offers = sum(each.offers_by[kind] for each in rounds)
        share = sum(sum(each.cpu[kind]) for each in rounds) / 1e9
        print(
            f"  {kind:15} {cpu.us()}; wall p99 {wall.p99 * 1e6:.1f} µs; "
            f"{offers:,} offers; {share:.2f} s"
        )
        if cpu.n == 0:
            failed.append(f"no {kind} measured")
    rates = [each.offers / each.cpu_seconds() for each in rounds]
    wall_rates = [each.offers / each.wall_seconds() for each in rounds]
    p99s = [Distribution.of(each.all_cpu()).p99 * 1e6 for each in rounds]
    wall_p99s = [Distribution.of(each.all_wall()).p99 * 1e6 for each in rounds]
    print(f"offers/s (index CPU time): {over_runs(rates, '', 0)}")
    print(f"offers/s (index wall time): {over_runs(wall_rates, '', 0)}")
    print(
        f"p99 of every decision, CPU: {over_runs(p99s, ' µs')}; wall: {over_runs(wall_p99s, ' µs')}"
    )
    naive, agreed = baseline(sim, args.baseline_samples)
    freed = Distribution.of([ns / 1e9 for each in rounds for ns in each.cpu["agent freed"]])
    print(
        f"baseline (scan of the pool's waiting cases per agent freed): {naive.us()} "
        f"(~{1 / naive.mean:,.0f} decisions/s); the index's agent freed: mean "
        f"{freed.mean * 1e6:.1f} µs: x{naive.mean / freed.mean:,.0f} faster; same pick in "
        f"{agreed}/{args.baseline_samples}"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"memory: peak RSS {peak / 1024:,.0f} MiB; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    if not all(rate > 0 for rate in rates) or not all(each.offers > 0 for each in rounds):
        failed.append("no offers measured")
    if agreed < args.baseline_samples:
        failed.append(f"the index and the naive scan disagree ({agreed}/{args.baseline_samples})")
    if not args.smoke:
        rate, p99 = statistics.median(rates), statistics.median(p99s)
        print(f"target ≥ {TARGET_RATE:,} offers/s: {mark(rate >= TARGET_RATE)} ({rate:,.0f})")
        print(
            f"target p99 < {TARGET_P99 * 1e6:,.0f} µs: "
            f"{mark(p99 < TARGET_P99 * 1e6)} ({p99:.0f} µs)"
        )
    return failed


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, checks no targets")
    parser.add_argument("--agents", type=int, default=30_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--pools", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--offers", type=int, default=70_000, help="offers per round")
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="simulated offers/s")
    parser.add_argument("--backlog-seconds", type=float, default=60.0)
    parser.add_argument("--baseline-samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.smoke:
        args.agents, args.cases, args.pools, args.rounds = 300, 5_000, 5, 2
        args.offers, args.baseline_samples = 2_000, 20
    return args


def main() -> int:
    args = arguments()
    try:
        sim = Simulation(args)
        sim.load()
        rounds = [sim.run_round() for _ in range(args.rounds)]
        failed = report(sim, rounds, args)
    except Exception as error:  # the run could not measure: say why, fail
        print(f"RESULT {NAME}: failed {type(error).__name__}: {error}")
        raise
    if failed:
        print(f"RESULT {NAME}: failed {'; '.join(failed)}")
        return 1
    print(f"RESULT {NAME}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
