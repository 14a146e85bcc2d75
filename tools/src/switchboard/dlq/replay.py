"""Replaying dead letters to the consumer group they failed in, once a fix is deployed.

Design: a dead letter goes back to its **original topic** (``dlq-original-topic``) with its
original value, key (so the same partition, after the key's newer events) and original
headers, plus ``dlq-replay-group: <group>`` (and ``dlq-replayed-from``). Why this way:

- The consumer that failed reads it again through its ordinary path: the handlers, the
  fixed code, the inbox and the transaction are the service's own; the tool needs no
  database access and no knowledge of the service.
- Other consumer groups of the topic handled the original already. servicekit's consumer
  passes over a record replayed for another group (``HandlerTable.wants``), so they never
  see a duplicate, however long ago their inbox forgot the event id. (Publishing to a
  topic of the group's own instead would need every service to read one more topic.)
- The intended group's inbox dedupes by the event id (``ce_id``, kept in the headers), so a
  dead letter replayed twice - or replayed although it had been applied - changes nothing
  the second time: exactly once in effect.
- What was replayed is the committed offset of the tool's own consumer group on the
  dead-letter topic (``broker.replayer_group``), committed after each replay is
  acknowledged (acks=all, idempotent producer). A crash between the two replays one
  record again, which the inbox absorbs. ``replay`` without positions starts where the
  last one stopped; ``--offset`` replays given dead letters whatever was done before and
  moves the mark only when it is the next one due (a later full replay may send the
  others again - harmless, see the inbox).
- A dead letter older than events its group applied since for the same key (``newer``)
  is not replayed without ``force``: it would land after them and apply an older state
  over a newer one, unless the group's handler checks versions. The operator decides, per
  dead letter, with what ``list`` and ``--dry-run`` show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from switchboard.dlq.broker import DeadLetterReader, reader
from switchboard.dlq.letters import DeadLetter
from switchboard.dlq.newer import Later, newer_events
from switchboard.servicekit.consumer.dead_letter import replay_headers
from switchboard.servicekit.kafka import KafkaConnection, make_producer


@dataclass(frozen=True)
class Replayed:
    letter: DeadLetter
    to: str
    """The topic it was (or, in a dry run, would be) written to."""
    sent: bool
    newer: tuple[Later, ...] = ()
    """Events for its key its group read after it failed (see ``newer``)."""


class OlderThanApplied(ValueError):
    """Dead letters with newer events for their key, replayed without ``force``."""

    def __init__(self, stale: list[Replayed]) -> None:
        lines = [
            f"  {item.letter.position} {item.letter.event_type} {item.letter.event_id}: "
            f"{len(item.newer)} newer for key {(item.letter.key or b'').decode(errors='replace')}"
            f" ({', '.join(map(str, item.newer[:5]))}{', ...' if len(item.newer) > 5 else ''})"
            for item in stale
        ]
        super().__init__(
            f"{len(stale)} dead letter(s) are older than events their consumer group applied "
            "since for the same key (offset and type on the source topic):\n"
            + "\n".join(lines)
            + "\nReplayed, each lands after those and its handler applies the older event over "
            "the newer state, unless it checks versions. Replay only the others (--offset), or "
            "all with --force once you know the handlers tolerate it. Nothing was replayed."
        )
        self.stale = stale


async def replay(
    kafka: str | KafkaConnection,
    group: str,
    positions: Sequence[tuple[int, int]] = (),
    *,
    dry_run: bool = False,
    force: bool = False,
) -> list[Replayed]:
    """Replay ``group``'s dead letters at ``positions`` (partition, offset), or all those
    not replayed yet; with ``dry_run``, only say what would be replayed. ``OlderThanApplied``
    when one has newer events for its key, unless ``force``."""
    async with reader(kafka, group) as dead:
        marks = await dead.replayed_up_to()
        if positions:
            letters = [await dead.read_one(p, o) for p, o in positions]
        else:
            letters = await dead.read(since=marks)
        unreplayable = [letter.position for letter in letters if not letter.original_topic]
        if unreplayable:
            raise ValueError(f"dead letters without dlq-original-topic: {unreplayable}")
        every = letters if not positions and not marks else await dead.read()
        newer = await newer_events(kafka, group, letters, {e.event_id for e in every if e.event_id})
        planned = [
            Replayed(letter, letter.original_topic, sent=False, newer=tuple(newer[letter.position]))
            for letter in letters
        ]
        if dry_run:
            return planned
        stale = [item for item in planned if item.newer]
        if stale and not force:
            raise OlderThanApplied(stale)
        return await _send(kafka, group, dead, planned, marks, in_order=not positions)


async def _send(
    kafka: str | KafkaConnection,
    group: str,
    dead: DeadLetterReader,
    planned: list[Replayed],
    marks: dict[int, int],
    *,
    in_order: bool,
) -> list[Replayed]:
    """Send each, and move the mark past it once acknowledged when it is due: always when
    replaying everything since the mark (in order), else when it is the very next one."""
    producer = make_producer(kafka, client_id=f"switchboard-dlq-{group}")
    await producer.start()
    done = []
    try:
        for item in planned:
            letter = item.letter
            headers = replay_headers(
                letter.headers, group=group, source=(letter.topic, letter.partition, letter.offset)
            )
            await producer.send_and_wait(
                letter.original_topic, value=letter.value, key=letter.key, headers=headers
            )
            if in_order or letter.offset == marks[letter.partition]:
                marks[letter.partition] = letter.offset + 1
                await dead.mark_replayed(letter.partition, letter.offset + 1)
            done.append(replace(item, sent=True))
    finally:
        await producer.stop()
    return done
