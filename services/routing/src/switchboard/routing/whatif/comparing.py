"""The day as recorded and each alternative replayed, measured the same way."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from switchboard.routing.domain.policy import PolicySet
from switchboard.routing.whatif.recording import RecordedDay
from switchboard.routing.whatif.replay import Replay
from switchboard.routing.whatif.results import Outcome, outcome
from switchboard.routing.whatif.staffing import StaffingChange, staffed

RECORDED = "recorded"


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
            {v.key: v.recorded_wait for v in day.visits},
            offers=recorded_offers,
            agents=day.agents,
            target_of=target_of,
        )
    ]
    for alternative in alternatives:
        agents = staffed(day.agents, alternative.staffing)
        began = time.perf_counter()
        replayed = Replay(
            day, policies=alternative.policies or policies_in_force, agents=agents
        ).run()
        took = time.perf_counter() - began
        measured = outcome(
            alternative.name,
            day,
            replayed.waits,
            offers=replayed.offers,
            agents=agents,
            target_of=target_of,
        )
        results.append(
            replace(
                measured,
                answers_assumed=replayed.answers_assumed,
                holds_assumed=replayed.holds_assumed,
                replay_seconds=took,
            )
        )
    return results
