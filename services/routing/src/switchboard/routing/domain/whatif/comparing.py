"""The day as recorded and each alternative replayed, measured the same way."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from statistics import fmean

from switchboard.routing.domain.policy import PolicySet
from switchboard.routing.domain.whatif.recording import RecordedDay
from switchboard.routing.domain.whatif.replay import Replay
from switchboard.routing.domain.whatif.results import Outcome, outcome
from switchboard.routing.domain.whatif.staffing import StaffingChange, staffed

RECORDED = "recorded"
REPLAYS = 5
"""Replays per alternative when the day's dispatch latencies are drawn at random: a short
day's waits swing with a few draws, their pool over five replays much less."""


@dataclass(frozen=True)
class Alternative:
    name: str
    policies: PolicySet | None = None
    """None: the policies in force."""
    staffing: tuple[StaffingChange, ...] = ()


def compare(
    day: RecordedDay,
    alternatives: Sequence[Alternative],
    *,
    policies_in_force: PolicySet,
    target_of: Callable[[str], float],
) -> list[Outcome]:
    """The recorded day first, then each alternative replayed."""
    recorded_offers = Counter(agent for v in day.visits for agent in v.responses)
    results = [
        outcome(
            RECORDED,
            day,
            [{v.key: v.recorded_wait for v in day.visits}],
            offers=recorded_offers,
            agents=day.agents,
            target_of=target_of,
        )
    ]
    for alternative in alternatives:
        agents = staffed(day.agents, alternative.staffing)
        policies = alternative.policies or policies_in_force
        began = time.perf_counter()
        replays = [
            Replay(day, policies=policies, agents=agents, seed=seed).run()
            for seed in range(REPLAYS if day.dispatch_seconds else 1)
        ]
        took = (time.perf_counter() - began) / len(replays)
        offers: Counter[str] = Counter()
        for each in replays:
            offers.update(each.offers)
        measured = outcome(
            alternative.name,
            day,
            [each.waits for each in replays],
            offers=offers,
            agents=agents,
            target_of=target_of,
        )
        results.append(
            replace(
                measured,
                answers_assumed=round(fmean(each.answers_assumed for each in replays)),
                holds_assumed=round(fmean(each.holds_assumed for each in replays)),
                replay_seconds=took,
            )
        )
    return results
