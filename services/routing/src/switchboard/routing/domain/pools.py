"""The in-memory index of one pool: waiting cases by requirement class, idle agents by time.

Waiting cases that share a bound requirement form one class with one heap ordered by
(priority number, 1 being urgent; enqueued_at; arrival), so an agent who frees up looks
only at the head of each class it qualifies for. Entries are deleted lazily: an entry is
live while its item still waits and carries the same filing number.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field

from switchboard.routing.domain.model import Agent, Channel, ItemState, WorkItem

HeapEntry = tuple[int, float, int, int, WorkItem]
AgentTest = Callable[[Agent], bool]


def entry_for(item: WorkItem) -> HeapEntry:
    return (item.priority, item.enqueued_at.timestamp(), item.arrival, item.filing, item)


def is_live(entry: HeapEntry) -> bool:
    item = entry[4]
    return item.state is ItemState.WAITING and item.filing == entry[3]


@dataclass(slots=True, eq=False)
class WaitingClass:
    """``top`` mirrors ``heap[0]`` (``None`` when empty), live or not: a freed agent reads
    it without touching the heap list. Only this class's methods change the heap."""

    key: Hashable
    accepts: AgentTest
    heap: list[HeapEntry] = field(default_factory=list)
    top: HeapEntry | None = None

    def push(self, item: WorkItem) -> None:
        heap = self.heap
        heapq.heappush(heap, entry_for(item))
        self.top = heap[0]

    def head_for(self, agent_id: str) -> HeapEntry | None:
        """The best live entry that does not exclude ``agent_id``."""
        heap = self.heap
        while heap:
            entry = heap[0]
            item = entry[4]
            if item.state is ItemState.WAITING and item.filing == entry[3]:
                self.top = entry
                if agent_id not in item.excluded_agents:
                    return entry
                return self._head_skipping(agent_id)
            heapq.heappop(heap)
        self.top = None
        return None

    def _head_skipping(self, agent_id: str) -> HeapEntry | None:
        heap = self.heap
        skipped: list[HeapEntry] = []
        while heap:
            if not is_live(heap[0]):
                heapq.heappop(heap)
            elif agent_id in heap[0][4].excluded_agents:
                skipped.append(heapq.heappop(heap))
            else:
                break
        found = heap[0] if heap else None
        for entry in skipped:
            heapq.heappush(heap, entry)
        self.top = heap[0] if heap else None
        return found

    def live_entries(self) -> Iterator[HeapEntry]:
        return (entry for entry in self.heap if is_live(entry))


class PoolIndex:
    """Classes are only added; each agent remembers which of them it qualifies for, so a
    freed agent walks its own short list. Empty classes are swept when they pile up."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.classes: dict[Channel, dict[Hashable, WaitingClass]] = {}
        self.created: dict[Channel, list[WaitingClass]] = {}
        self.admitted: dict[tuple[str, Channel], tuple[int, list[WaitingClass]]] = {}
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
        cached = self.admitted.get((agent.id, channel))
        seen, admitted = cached if cached is not None else (0, [])
        if seen < len(log):
            admitted = admitted + [each for each in log[seen:] if each.accepts(agent)]
            self.admitted[(agent.id, channel)] = (len(log), admitted)
        return admitted

    def forget_agent(self, agent_id: str) -> None:
        """Drop what was remembered about an agent whose profile changed."""
        for channel in self.created:
            self.admitted.pop((agent_id, channel), None)

    def _sweep_empty_classes(self, channel: Channel) -> None:
        by_key = self.classes[channel]
        empty = [key for key, waiting in by_key.items() if not waiting.heap]
        if len(empty) < 64 or len(empty) * 2 < len(by_key):
            return
        for key in empty:
            del by_key[key]
        self.created[channel] = list(by_key.values())
        for agent_id, cached_channel in [key for key in self.admitted if key[1] is channel]:
            del self.admitted[(agent_id, cached_channel)]

    def idle_agents(self, channel: Channel) -> Iterator[Agent]:
        """Agents who can take ``channel`` now, longest idle first."""
        return iter(self.idle.get(channel, {}).values())

    def place_idle(self, agent: Agent, channel: Channel) -> None:
        queue = self.idle.setdefault(channel, {})
        queue.pop(agent.id, None)
        if queue and agent.idle_since is not None:
            newest = next(reversed(queue.values()))
            if newest.idle_since is not None and newest.idle_since > agent.idle_since:
                queue[agent.id] = agent
                ordered = sorted(queue.values(), key=_idle_order)
                queue.clear()
                queue.update((each.id, each) for each in ordered)
                return
        queue[agent.id] = agent

    def drop_idle(self, agent_id: str, channel: Channel) -> None:
        queue = self.idle.get(channel)
        if queue is not None:
            queue.pop(agent_id, None)

    def waiting_entries(self, channel: Channel) -> Iterator[HeapEntry]:
        for waiting_class in self.classes.get(channel, {}).values():
            yield from waiting_class.live_entries()


def _idle_order(agent: Agent) -> float:
    return agent.idle_since.timestamp() if agent.idle_since is not None else float("-inf")
