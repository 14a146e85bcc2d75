"""Routing engine benchmark: decisions per second and p99 at 30,000 agents / 1,000,000 cases.

Prints numbers; not a timed test. The routing index is fed what the offer loop reads from
the rows: an agent freed is its record with one slot given back, a case arrives as filed.
A naive baseline (a linear scan over the pool's waiting cases when an agent frees up) runs
on the same state for the ratio.

    .venv/bin/python bench/routing_engine.py --agents 30000 --cases 1000000 --pools 50
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from switchboard.routing.domain.model import Agent, Channel, ItemState, Presence, WorkItem
from switchboard.routing.domain.policy import policy_set_from_data
from switchboard.routing.domain.routing_index import RoutingIndex as RoutingEngine

DEPARTMENTS = ["billing", "tech", "sales", "returns", "claims"]
LANGUAGES = ["da", "fr", "fi", "pl", "no"]
CHANNELS = [Channel.PHONE, Channel.CHAT, Channel.EMAIL]
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def policies():
    return policy_set_from_data(
        {
            "policies": [
                {
                    "name": department,
                    "when": f'case.department == "{department}"',
                    "steps": [
                        {
                            "requires": f"{department} >= 6 and language == case.language",
                            "timeout_seconds": 60,
                        },
                        {"requires": f"{department} >= 3", "timeout_seconds": 120},
                    ],
                    "fallback": "true",
                }
                for department in DEPARTMENTS
            ]
        }
    )


def random_agent(rng: random.Random, number: int, pools: int) -> Agent:
    return Agent(
        id=f"agent-{number}",
        pools=frozenset({f"pool-{number % pools}"}),
        skills={d: rng.randint(1, 10) for d in rng.sample(DEPARTMENTS, 3)},
        languages=frozenset(rng.sample(LANGUAGES, 2)),
        region=f"region-{number % pools}",
        team=f"team-{number % 7}",
        presence=Presence.AVAILABLE,
    )


def random_case(
    engine: RoutingEngine, rng: random.Random, number: int, pools: int, enqueued_at: datetime
) -> WorkItem:
    pool = rng.randrange(pools)
    case = WorkItem(
        case_id=f"case-{number}",
        pool=f"pool-{pool}",
        channel=rng.choice(CHANNELS),
        priority=rng.choice((3, 3, 3, 2, 4, 1)),
        enqueued_at=enqueued_at,
        language=rng.choice(LANGUAGES),
        region=f"region-{pool}",
        department=rng.choice(DEPARTMENTS),
        step_started_at=enqueued_at,
    )
    case.policy = engine.policies.for_case(case).name  # filed by its policy, as the rows are
    return case


def freed(agent: Agent, channel: Channel, now: datetime) -> Agent:
    """The agent's row once a case of ``channel`` is done: one slot given back."""
    return replace(agent, load={**agent.load, channel: agent.load[channel] - 1}, idle_since=now)


def percentile(samples: list[int], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] / 1000.0


def naive_pick(engine: RoutingEngine, agent: Agent, waiting_by_pool, now) -> WorkItem | None:
    """The baseline: scan every waiting case of the agent's pools."""
    best = None
    best_key = None
    for pool in agent.pools:
        for candidate in waiting_by_pool[pool]:
            if candidate.state is not ItemState.WAITING or not agent.can_take(candidate.channel):
                continue
            if agent.id in candidate.excluded_agents:
                continue
            requirement = engine.policy_of(candidate).steps[candidate.step].requirement
            if not requirement.matches(agent, candidate):
                continue
            key = (candidate.priority, candidate.enqueued_at, candidate.arrival)
            if best_key is None or key < best_key:
                best, best_key = candidate, key
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=30_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--pools", type=int, default=50)
    parser.add_argument("--decisions", type=int, default=200_000)
    parser.add_argument("--baseline-samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    engine = RoutingEngine(policies=policies())
    rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    began = time.perf_counter()
    clock = START
    for number in range(args.cases):
        enqueued_at = START - timedelta(seconds=rng.uniform(0, 3600))
        engine.upsert_case(random_case(engine, rng, number, args.pools, enqueued_at), now=clock)
    loaded_cases = time.perf_counter() - began
    clock += timedelta(seconds=1)
    began = time.perf_counter()
    for number in range(args.agents):
        engine.upsert_agent(random_agent(rng, number, args.pools), now=clock)
    loaded_agents = time.perf_counter() - began
    classes = sum(len(by_key) for pool in engine.pools.values() for by_key in pool.classes.values())
    offered = [each for each in engine.items.values() if each.state is ItemState.OFFERED]
    print(
        f"setup: {args.cases:,} cases in {loaded_cases:.1f}s, {args.agents:,} agents in "
        f"{loaded_agents:.1f}s; {len(offered):,} initial offers; {classes:,} requirement classes "
        f"across {len(engine.pools)} pools"
    )
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # The index is long-lived: move it out of the collector's generations, as a service
    # does after loading, so full collections do not rescan a million cases.
    gc.collect()
    gc.freeze()

    busy = [(each.case_id, each.agent_id) for each in offered]
    freed_ns: list[int] = []
    arrival_ns: list[int] = []
    cpu_ns: list[int] = []
    decisions = 0
    next_case = args.cases
    tick = timedelta(milliseconds=1)
    measured = time.perf_counter()
    while decisions < args.decisions and busy:
        clock += tick
        slot = rng.randrange(len(busy))
        case_id, agent_id = busy[slot]
        busy[slot] = busy[-1]
        busy.pop()
        done = engine.items[case_id]  # accepted, resolved, wrapped up: read back, then freed
        engine.forget(case_id)
        record = freed(engine.agents[agent_id], done.channel, clock)
        started, cpu_started = time.perf_counter_ns(), time.thread_time_ns()
        made = engine.upsert_agent(record, now=clock)
        freed_ns.append(time.perf_counter_ns() - started)
        cpu_ns.append(time.thread_time_ns() - cpu_started)
        decisions += len(made)
        busy.extend((d.case_id, d.agent_id) for d in made)
        if rng.random() < 0.5:
            new_case = random_case(engine, rng, next_case, args.pools, clock)
            next_case += 1
            started, cpu_started = time.perf_counter_ns(), time.thread_time_ns()
            made = engine.upsert_case(new_case, now=clock)
            arrival_ns.append(time.perf_counter_ns() - started)
            cpu_ns.append(time.thread_time_ns() - cpu_started)
            decisions += 1
            busy.extend((d.case_id, d.agent_id) for d in made)
    elapsed = time.perf_counter() - measured
    engine_seconds = (sum(freed_ns) + sum(arrival_ns)) / 1e9
    all_ns = freed_ns + arrival_ns
    print(
        f"engine: {decisions:,} decisions ({len(freed_ns):,} agent-freed, {len(arrival_ns):,} "
        f"case arrivals) in {engine_seconds:.2f}s engine time ({elapsed:.2f}s loop)"
    )
    print(
        f"engine: {decisions / engine_seconds:,.0f} decisions/s; agent-freed p50 "
        f"{percentile(freed_ns, 0.5):.1f}us p99 {percentile(freed_ns, 0.99):.1f}us; arrival p50 "
        f"{percentile(arrival_ns, 0.5):.1f}us p99 {percentile(arrival_ns, 0.99):.1f}us; all p99 "
        f"{percentile(all_ns, 0.99):.1f}us max {max(all_ns) / 1000:.0f}us"
    )

    print(
        f"engine CPU time (excludes preemption by other processes): "
        f"{decisions / (sum(cpu_ns) / 1e9):,.0f} decisions/s; p50 {percentile(cpu_ns, 0.5):.1f}us "
        f"p99 {percentile(cpu_ns, 0.99):.1f}us; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs"
    )

    waiting_by_pool: dict[str, list[WorkItem]] = {name: [] for name in engine.pools}
    for each in engine.items.values():
        if each.state is ItemState.WAITING:
            waiting_by_pool[each.pool].append(each)
    agents = list(engine.agents.values())
    naive_ns: list[int] = []
    agreed = 0
    for _ in range(args.baseline_samples):
        candidate = rng.choice(agents)
        saved_load = dict(candidate.load)
        candidate.load = {}
        started = time.perf_counter_ns()
        naive = naive_pick(engine, candidate, waiting_by_pool, clock)
        naive_ns.append(time.perf_counter_ns() - started)
        best, _, _ = engine._best_cases_for(candidate, candidate.open_channels())
        agreed += (best[1] if best else None) is naive
        candidate.load = saved_load
    naive_mean = statistics.fmean(naive_ns) / 1000
    indexed_mean = statistics.fmean(freed_ns) / 1000
    print(
        f"baseline (linear scan of the pool's waiting cases): mean {naive_mean:,.0f}us p99 "
        f"{percentile(naive_ns, 0.99):,.0f}us per agent-freed decision "
        f"(~{1e6 / naive_mean:,.0f} decisions/s); indexed engine mean {indexed_mean:.1f}us; "
        f"speed-up x{naive_mean / indexed_mean:,.0f}; same pick in {agreed}/{args.baseline_samples}"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"memory: peak RSS {peak / 1024:,.0f} MiB (start {rss_start / 1024:,.0f} MiB, after "
        f"load {rss_loaded / 1024:,.0f} MiB)"
    )


if __name__ == "__main__":
    main()
