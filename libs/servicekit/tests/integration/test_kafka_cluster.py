"""Kafka as a cluster: three KRaft nodes on loopback, topics replicated three times with
``min.insync.replicas`` 2, the services' own producer (acks=all, idempotent). Each node in
turn is killed -9 while records are being written, and restarted; nothing acknowledged is
lost, nothing is written twice, and each key's records stay in order.

Killing every node once, one after another, kills the active controller at least once:
the quorum's leader moves only when its node dies, so whichever node leads when the first
kill comes is still leading when its own turn comes (or was the one killed before).
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from switchboard.servicekit.devinfra import InfraError
from switchboard.servicekit.devinfra.kafka import KafkaCluster
from switchboard.servicekit.kafka import KafkaConnection, ensure_topics, make_producer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

TOPIC = "cluster.events"
KEYS = 12


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    with KafkaCluster(Path(tmp_path_factory.mktemp("cluster")), size=3) as running:
        yield running


async def in_sync_replicas(connection: KafkaConnection) -> list[int]:
    admin = AIOKafkaAdminClient(**connection.client_options())
    await admin.start()
    try:
        (described,) = await admin.describe_topics([TOPIC])
    finally:
        await admin.close()
    return [len(partition["isr"]) for partition in described["partitions"]]


async def wait_fully_replicated(connection: KafkaConnection, timeout: float = 120) -> None:
    async with asyncio.timeout(timeout):
        while True:
            try:
                if all(count == 3 for count in await in_sync_replicas(connection)):
                    return
            except Exception:  # a node still starting: ask again
                pass
            await asyncio.sleep(1)


async def read_back(connection: KafkaConnection, expect: int) -> list[tuple[str, int]]:
    consumer = AIOKafkaConsumer(
        TOPIC,
        **connection.client_options(),
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen: list[tuple[str, int]] = []
    try:
        async with asyncio.timeout(120):
            while len(seen) < expect:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    for record in records:
                        assert record.key is not None
                        assert record.value is not None
                        seen.append((record.key.decode(), int(record.value)))
            # anything written twice would follow: give it a moment to show up
            batch = await consumer.getmany(timeout_ms=2000)
            seen.extend(
                (r.key.decode(), int(r.value)) for rs in batch.values() for r in rs if r.key
            )
    finally:
        await consumer.stop()
    return seen


async def test_killing_each_node_in_turn_loses_and_repeats_nothing(cluster: KafkaCluster):
    connection = KafkaConnection(cluster.bootstrap_servers, replication_factor=3)
    await ensure_topics(connection, [TOPIC], partitions=3)
    await wait_fully_replicated(connection)

    producer = make_producer(connection, client_id="cluster-test")
    await producer.start()
    acknowledged: dict[str, list[int]] = defaultdict(list)
    stop = asyncio.Event()

    async def write() -> None:
        sequence = 0
        while not stop.is_set():
            key = f"case-{sequence % KEYS}"
            await producer.send_and_wait(TOPIC, str(sequence).encode(), key=key.encode())
            acknowledged[key].append(sequence)
            sequence += 1

    writer = asyncio.create_task(write())
    try:
        for node in cluster.nodes:
            await asyncio.sleep(3)
            node.kill()
            before = sum(len(sequences) for sequences in acknowledged.values())
            await asyncio.sleep(10)  # its partitions' leaders move (~4 s), writes go on
            during = sum(len(sequences) for sequences in acknowledged.values()) - before
            began = time.monotonic()
            await asyncio.to_thread(node.start)
            await wait_fully_replicated(connection)
            print(
                f"node {node.node_id} killed: {during} records acknowledged in the 10 s it was "
                f"down; back in sync {time.monotonic() - began:.1f} s after its restart"
            )
            assert during > 0, f"no write was acknowledged while node {node.node_id} was down"
        await asyncio.sleep(2)
    finally:
        stop.set()
        await asyncio.wait_for(writer, timeout=120)
        await producer.stop()

    written = sum(len(sequences) for sequences in acknowledged.values())
    assert written > 100, f"only {written} records were acknowledged while nodes died"
    seen = await read_back(connection, written)
    by_key: dict[str, list[int]] = defaultdict(list)
    for key, sequence in seen:
        by_key[key].append(sequence)
    print(f"{written} records acknowledged, {len(seen)} read back")
    assert len(seen) == written, "records were lost or written twice"
    assert dict(by_key) == dict(acknowledged), "a key's records are missing or out of order"


def java_processes_under(directory: Path) -> list[int]:
    """Live processes whose command line names ``directory`` (a node's server.properties)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(directory) in command:
            found.append(int(entry.name))
    return found


def test_a_node_that_cannot_start_stops_the_nodes_already_started(tmp_path: Path):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        cluster = KafkaCluster(tmp_path, size=3, first_port=taken.getsockname()[1])
        with pytest.raises(InfraError):
            cluster.start(timeout=120)
    finally:
        taken.close()
    assert [node.running() for node in cluster.nodes] == [False, False, False]
    assert java_processes_under(tmp_path.resolve()) == []
