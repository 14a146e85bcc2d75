"""What-if replay speed: a recorded working day replayed through the real routing index,
in simulated time, against the day's own length.

A synthetic recorded day (what ``adapters/whatif_reading.py`` folds the topics into): ``--hours``
of arrivals at a rate that keeps ``--agents`` agents in ``--pools`` pools about 85 % busy on
phone, chat and e-mail; agents on two shifts with a break each; each visit offered first
to an agent who accepted it after a few seconds (one in twenty declined by someone first),
with a lognormal handle time. Policies: a department skill and the case's language first,
broadening after 30 s and 1 min. The day is replayed as recorded and with every pool's
staffing doubled; each replay's wall time is measured and compared with the day's length.

Target: ≥ 100x real time (issue 18: "a day replays at least 100x faster than real time").

    .venv/bin/python bench/whatif_replay.py [--hours 8 --agents 300 --pools 6 --rounds 3]
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from datetime import UTC, datetime, timedelta

from stats import over_runs

from switchboard.routing.domain.model import Channel, Presence
from switchboard.routing.domain.policy import PolicySet, policy_set_from_data
from switchboard.routing.domain.whatif.comparing import Alternative, compare
from switchboard.routing.domain.whatif.recording import (
    AgentDay,
    Answer,
    RecordedDay,
    Response,
    Visit,
)
from switchboard.routing.domain.whatif.staffing import StaffingChange

NAME = "whatif_replay"
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DEPARTMENTS = ("billing", "tech", "sales")
LANGUAGES = ("da", "fr", "fi", "pl")
HANDLE_SECONDS = {Channel.PHONE: 300.0, Channel.CHAT: 480.0, Channel.EMAIL: 600.0}
CAPACITY = {Channel.PHONE: 1, Channel.CHAT: 3, Channel.EMAIL: 5}
TARGET_SPEEDUP = 100.0


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
                            "timeout": "30s",
                        },
                        {"requires": "language == case.language", "timeout": "1m"},
                    ],
                    "fallback": "true",
                }
                for department in DEPARTMENTS
            ]
        }
    )


def agents(rng: random.Random, count: int, pools: int, hours: float) -> list[AgentDay]:
    day = timedelta(hours=hours)
    result = []
    for number in range(count):
        shift = START + (day / 4 if (number // pools) % 2 else timedelta(0))
        on_break = shift + day * rng.uniform(0.25, 0.5)
        result.append(
            AgentDay(
                id=f"agent-{number}",
                pools=frozenset({f"pool-{number % pools}"}),
                region=f"pool-{number % pools}",
                skills={d: rng.randint(1, 10) for d in DEPARTMENTS},
                languages=frozenset(rng.sample(LANGUAGES, 2)),
                capacity=dict(CAPACITY),
                presence=(
                    (shift, Presence.AVAILABLE),
                    (on_break, Presence.AWAY),
                    (on_break + timedelta(minutes=15), Presence.AVAILABLE),
                    (shift + day * 0.75, Presence.OFFLINE),
                ),
            )
        )
    return result


def visits(rng: random.Random, staff: list[AgentDay], pools: int, hours: float) -> list[Visit]:
    """Arrivals sized so the agents on shift are about 85 % busy."""
    on_shift = len(staff) / 2 * 1.5 / 2  # two shifts of 3/4 day overlapping by half
    per_second = 0.85 * on_shift / fmean_handle()
    result, moment, number = [], START, 0
    end = START + timedelta(hours=hours)
    while True:
        moment += timedelta(seconds=rng.expovariate(per_second))
        if moment >= end:
            return result
        number += 1
        channel = rng.choice(list(HANDLE_SECONDS))
        pool = f"pool-{rng.randrange(pools)}"
        offered = moment + timedelta(seconds=rng.uniform(0, 20))
        first = rng.choice(staff).id
        responses = {first: Response(Answer.ACCEPT, rng.uniform(2, 10))}
        if rng.random() < 0.05:
            responses = {
                first: Response(Answer.DECLINE, 4.0),
                rng.choice(staff).id: Response(Answer.ACCEPT, 5.0),
            }
        result.append(
            Visit(
                key=f"case-{number}#1",
                case_id=f"case-{number}",
                at=moment,
                enqueued_at=moment,
                pool=pool,
                channel=channel,
                priority=rng.choice((1, 2, 3, 3, 3, 4)),
                language=rng.choice(LANGUAGES),
                region=pool,
                department=rng.choice(DEPARTMENTS),
                policy="",
                first_offer_at=offered,
                responses=responses,
                hold_seconds=rng.lognormvariate(math.log(HANDLE_SECONDS[channel]), 0.6),
            )
        )


def fmean_handle() -> float:
    """Mean slot-seconds per case: multi-slot channels hold a fraction of an agent."""
    return sum(HANDLE_SECONDS[c] * math.exp(0.18) / CAPACITY[c] for c in HANDLE_SECONDS) / 3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--agents", type=int, default=300)
    parser.add_argument("--pools", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--smoke", action="store_true", help="a tiny day, to check it runs")
    args = parser.parse_args()
    if args.smoke:
        args.hours, args.agents, args.pools, args.rounds = 1.0, 30, 2, 1
    rng = random.Random(args.seed)
    staff = agents(rng, args.agents, args.pools, args.hours)
    day = RecordedDay(
        start=START,
        end=START + timedelta(hours=args.hours),
        visits=tuple(visits(rng, staff, args.pools, args.hours)),
        agents=tuple(staff),
    )
    doubled = tuple(StaffingChange(f"pool-{n}", factor=2.0) for n in range(args.pools))
    runs = [Alternative("as recorded"), Alternative("doubled", staffing=doubled)]
    print(
        f"{NAME}: a {args.hours:g} h day, {len(day.visits):,} visits, {args.agents} agents in "
        f"{args.pools} pools; {args.rounds} rounds"
    )
    speedups: dict[str, list[float]] = {run.name: [] for run in runs}
    for _ in range(args.rounds):
        began = time.perf_counter()
        outcomes = compare(day, runs, policies_in_force=policies(), target_of=lambda _: 60.0)
        took = time.perf_counter() - began
        for each in outcomes[1:]:
            speedups[each.name].append(day.seconds / each.replay_seconds)
        print(f"  round: {took:.2f} s for the recorded measures and {len(runs)} replays")
    for each in outcomes[1:]:
        waits = [p.wait_mean for p in each.pools if p.wait_mean is not None]
        offered = sum(p.offered for p in each.pools)
        print(
            f"  {each.name}: {offered:,} of {len(day.visits):,} visits offered, mean wait "
            f"{sum(waits) / len(waits):.1f} s over the pools; replayed in "
            f"{each.replay_seconds:.2f} s: {over_runs(speedups[each.name], 'x', 0)} real time"
        )
    slowest = min(min(values) for values in speedups.values())
    met = slowest >= TARGET_SPEEDUP
    print(f"  target ≥ {TARGET_SPEEDUP:.0f}x real time: {slowest:,.0f}x {'✓' if met else '✗'}")
    print(f"RESULT {NAME}: {'ok' if met else 'failed slower than the target'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
