"""The in-memory index of one pool: waiting cases by requirement class, idle agents by time.

Waiting cases that share a bound requirement form one class with one heap of ranks (see
ranks.py: priority number, 1 being urgent; enqueued_at; arrival), so an agent who frees up
looks only at the head of each class it qualifies for. Entries are deleted lazily: a rank
is live while its item still waits and still carries that rank.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field

from switchboard.routing.domain.model import Agent, Channel, ItemState, WorkItem
from switchboard.routing.domain.ranks import NO_RANK

Candidate = tuple[int, WorkItem]
AgentTest = Callable[[Agent], bool]


@dataclass(slots=True, eq=False)
class WaitingClass:
    """``top`` mirrors ``heap[0]`` (``NO_RANK`` when empty) and ``head`` its item, live or
    not: a freed agent compares these ints without touching the heaps. Only this class's
    methods change the heap; ``items`` holds the item of every rank in it."""

    key: Hashable
    accepts: AgentTest
    heap: list[int] = field(default_factory=list)
    items: dict[int, WorkItem] = field(default_factory=dict)
    top: int = NO_RANK
    head: WorkItem | None = None

    def push(self, item: WorkItem) -> None:
        rank = item.rank
        self.items[rank] = item
        heapq.heappush(self.heap, rank)
        if rank < self.top:
            self.top, self.head = rank, item

    def is_live(self, rank: int) -> bool:
        item = self.items[rank]
        return item.state is ItemState.WAITING and item.rank == rank

    def drop_dead_top(self) -> None:
        """Pop dead ranks off the head, so that ``top`` is live or ``NO_RANK``."""
        heap = self.heap
        items = self.items
        waiting = ItemState.WAITING
        while heap:
            rank = heap[0]
            item = items[rank]
            if item.state is waiting and item.rank == rank:
                self.top, self.head = rank, item
                return
            del items[heapq.heappop(heap)]
        self.top, self.head = NO_RANK, None

    def head_for(self, agent_id: str) -> Candidate | None:
        """The best live entry that does not exclude ``agent_id``."""
        self.drop_dead_top()
        item = self.head
        if item is None:
            return None
        if agent_id not in item.excluded_agents:
            return self.top, item
        return self._head_skipping(agent_id)

    def _head_skipping(self, agent_id: str) -> Candidate | None:
        heap = self.heap
        items = self.items
        skipped: list[int] = []
        while heap:
            rank = heap[0]
            if not self.is_live(rank):
                del items[heapq.heappop(heap)]
            elif agent_id in items[rank].excluded_agents:
                skipped.append(heapq.heappop(heap))
            else:
                break
        found = (heap[0], items[heap[0]]) if heap else None
        for rank in skipped:
            heapq.heappush(heap, rank)
        self.top, self.head = (heap[0], items[heap[0]]) if heap else (NO_RANK, None)
        return found

    def live_entries(self) -> Iterator[Candidate]:
        items = self.items
        return ((rank, items[rank]) for rank in self.heap if self.is_live(rank))


class PoolIndex:
    """Classes are only added; each agent remembers which of them it qualifies for, so a
    freed agent walks its own short list. Empty classes are swept when they pile up."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.classes: dict[Channel, dict[Hashable, WaitingClass]] = {}
        self.created: dict[Channel, list[WaitingClass]] = {}
        # Per channel and agent id: how much of ``created`` was seen, and what qualified.
        self.admitted: dict[Channel, dict[str, tuple[int, list[WaitingClass]]]] = {}
        self.idle: dict[Channel, dict[str, Agent]] = {}

    def file(self, item: WorkItem, key: Hashable, accepts: Callable[[], AgentTest]) -> WaitingClass:
        by_key = self.classes.setdefault(item.channel, {})
        waiting_class = by_key.get(key)
        if waiting_class is None:
            self._sweep_empty_classes(item.channel)
            waiting_class = by_key[key] = WaitingClass(key, accepts())
            self.created.setdefault(item.channel, []).append(waiting_class)
        waiting_class.push(item)
        return waiting_class

    def classes_admitting(self, agent: Agent, channel: Channel) -> list[WaitingClass]:
        """The classes of ``channel`` whose requirement ``agent`` meets."""
        log = self.created.get(channel)
        if not log:
            return []
        remembered = self.admitted.setdefault(channel, {})
        cached = remembered.get(agent.id)
        seen, admitted = cached if cached is not None else (0, [])
        if seen < len(log):
            admitted = admitted + [each for each in log[seen:] if each.accepts(agent)]
            remembered[agent.id] = (len(log), admitted)
        return admitted

    def forget_agent(self, agent_id: str) -> None:
        """Drop what was remembered about an agent whose profile changed."""
        for remembered in self.admitted.values():
            remembered.pop(agent_id, None)

    def _sweep_empty_classes(self, channel: Channel) -> None:
        by_key = self.classes[channel]
        empty = [key for key, waiting in by_key.items() if not waiting.heap]
        if len(empty) < 64 or len(empty) * 2 < len(by_key):
            return
        for key in empty:
            del by_key[key]
        self.created[channel] = list(by_key.values())
        self.admitted.pop(channel, None)

    def idle_agents(self, channel: Channel) -> Iterator[Agent]:
        """Agents who can take ``channel`` now, longest idle first."""
        return iter(self.idle.get(channel, {}).values())

    def place_idle(self, agent: Agent, channel: Channel) -> None:
        """Put the agent in its place in the channel's idle order (after those idle as long).

        Most agents are idle since just now and go last; one idle a little longer (freed at
        a moment before the latest offer's) moves only the newer agents at the tail."""
        queue = self.idle.setdefault(channel, {})
        queue.pop(agent.id, None)
        since = agent.idle_since
        if not queue:
            queue[agent.id] = agent
            return
        if since is None:  # idle since ever: first of all (rare)
            queue[agent.id] = agent
            ordered = sorted(queue.values(), key=_idle_order)
            queue.clear()
            queue.update((each.id, each) for each in ordered)
            return
        newer: list[Agent] = []
        while queue:
            last_id, last = queue.popitem()  # the newest
            if last.idle_since is None or last.idle_since <= since:
                queue[last_id] = last
                break
            newer.append(last)
        queue[agent.id] = agent
        for each in reversed(newer):
            queue[each.id] = each

    def drop_idle(self, agent_id: str, channel: Channel) -> None:
        queue = self.idle.get(channel)
        if queue is not None:
            queue.pop(agent_id, None)

    def waiting_entries(self, channel: Channel) -> Iterator[Candidate]:
        for waiting_class in self.classes.get(channel, {}).values():
            yield from waiting_class.live_entries()


def _idle_order(agent: Agent) -> float:
    return agent.idle_since.timestamp() if agent.idle_since is not None else float("-inf")
