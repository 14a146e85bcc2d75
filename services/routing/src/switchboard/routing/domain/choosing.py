"""Which waiting case a freed agent takes: the lowest live rank among the heads of the
classes it qualifies for, on the channels it has free, and the best of the rest for the
explanation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from switchboard.routing.domain.model import Agent, Channel, ItemState
from switchboard.routing.domain.pools import Candidate, PoolIndex, WaitingClass
from switchboard.routing.domain.ranks import NO_RANK

# The best case, its class, and the best case of the other classes.
Choice = tuple[Candidate | None, WaitingClass | None, Candidate | None]


def best_cases_for(
    pools: Mapping[str, PoolIndex], agent: Agent, channels: Iterable[Channel]
) -> Choice:
    """The best waiting case ``agent`` may take on ``channels``, its class, and the
    best case of the other classes (for the explanation)."""
    shortlists = _shortlists(pools, agent, channels)
    agent_id = agent.id
    waiting = ItemState.WAITING
    while True:
        best_class, second_class = two_lowest_tops(shortlists)
        if best_class is None:
            return None, None, None
        # A dead top only hides a later live head and a class whose head excludes the
        # agent only offers a later one: when neither is true of the two lowest tops,
        # no other class can beat them.
        item = best_class.head
        assert item is not None  # a class with a top has a head
        if item.state is not waiting or item.rank != best_class.top:
            best_class.drop_dead_top()
            continue
        if agent_id in item.excluded_agents:
            return best_heads_for(agent_id, shortlists)
        best = (best_class.top, item)
        if second_class is None:
            return best, best_class, None
        item = second_class.head
        assert item is not None
        if item.state is not waiting or item.rank != second_class.top:
            second_class.drop_dead_top()
            continue
        if agent_id in item.excluded_agents:
            return best_heads_for(agent_id, shortlists)
        return best, best_class, (second_class.top, item)


def _shortlists(
    pools: Mapping[str, PoolIndex], agent: Agent, channels: Iterable[Channel]
) -> list[list[WaitingClass]]:
    """For each of the agent's pools and ``channels``, the classes it qualifies for."""
    shortlists: list[list[WaitingClass]] = []
    agent_id = agent.id
    for pool in agent.pools:
        index = pools.get(pool)
        if index is None:
            continue
        created = index.created
        admitted = index.admitted
        for channel in channels:
            log = created.get(channel)
            if not log:
                continue
            # The common case inline: the agent's list is already up to date.
            remembered = admitted.get(channel)
            cached = None if remembered is None else remembered.get(agent_id)
            if cached is None or cached[0] < len(log):
                shortlists.append(index.classes_admitting(agent, channel))
            else:
                shortlists.append(cached[1])
    return shortlists


def two_lowest_tops(
    shortlists: list[list[WaitingClass]],
) -> tuple[WaitingClass | None, WaitingClass | None]:
    """The two classes with the lowest ``top`` ranks, live or not; empty ones never."""
    best = second = NO_RANK
    best_class: WaitingClass | None = None
    second_class: WaitingClass | None = None
    for shortlist in shortlists:
        for waiting_class in shortlist:
            top = waiting_class.top
            if top < second:
                if top < best:
                    second, second_class = best, best_class
                    best, best_class = top, waiting_class
                else:
                    second, second_class = top, waiting_class
    return best_class, second_class


def best_heads_for(agent_id: str, shortlists: list[list[WaitingClass]]) -> Choice:
    """The slow way, when an exclusion is in play: each class's best head for the agent."""
    best: Candidate | None = None
    best_class: WaitingClass | None = None
    second: Candidate | None = None
    for shortlist in shortlists:
        for waiting_class in shortlist:
            head = waiting_class.head_for(agent_id)
            if head is None:
                continue
            if best is None or head[0] < best[0]:
                best, best_class, second = head, waiting_class, best
            elif second is None or head[0] < second[0]:
                second = head
    return best, best_class, second
