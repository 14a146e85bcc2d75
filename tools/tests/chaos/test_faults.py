"""The fault schedules, and which Kafka node leads the metadata quorum."""

from __future__ import annotations

import json
import random
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from switchboard.chaos.faults import BROKER, POSTGRES, random_fault, short_schedule
from switchboard.chaos.targets import UnknownTarget, active_controller


def test_the_short_schedule_kills_each_process_then_routing_and_the_broker_at_once() -> None:
    names = [fault.targets for fault in short_schedule()]
    assert names == [
        ("intake",),
        ("routing",),
        ("escalation",),
        ("feedback",),
        (BROKER,),
        (POSTGRES,),
        ("routing", BROKER),
    ]


def test_random_faults_repeat_with_their_seed_and_never_take_two_kafka_targets_of_one_kind() -> (
    None
):
    first = [random_fault(random.Random(7), kafka_nodes=3) for _ in range(1)]
    again = [random_fault(random.Random(7), kafka_nodes=3) for _ in range(1)]
    assert first == again
    rng = random.Random(1)
    faults = [random_fault(rng, kafka_nodes=3) for _ in range(300)]
    assert {len(f.targets) for f in faults} == {1, 2}
    assert all(2 <= f.down_seconds <= 25 for f in faults)
    for fault in faults:
        assert not (BROKER in fault.targets and any(t.startswith("kafka-") for t in fault.targets))
    assert any(t.startswith("kafka-") for f in faults for t in f.targets)
    single = [random_fault(rng) for _ in range(100)]
    assert not any(t.startswith("kafka-") for f in single for t in f.targets)


def _node(tmp_path: Path, node: int, state: dict[str, Any] | None) -> SimpleNamespace:
    data_dir = tmp_path / f"node-{node}"
    folder = data_dir / "kraft-logs" / "__cluster_metadata-0"
    folder.mkdir(parents=True)
    if state is not None:
        (folder / "quorum-state").write_text(json.dumps(state))
    return SimpleNamespace(data_dir=data_dir)


def test_the_active_controller_is_the_leader_of_the_latest_epoch(tmp_path: Path) -> None:
    # As Kafka 4 writes it; node 1 was killed while it led epoch 3, node 2 won epoch 4.
    nodes = [
        _node(tmp_path, 1, {"leaderId": 1, "leaderEpoch": 3, "votedId": -1, "data_version": 0}),
        _node(tmp_path, 2, {"leaderId": 2, "leaderEpoch": 4, "votedId": 2, "data_version": 0}),
        _node(tmp_path, 3, None),
    ]
    assert active_controller(SimpleNamespace(nodes=nodes)) == 2  # type: ignore[arg-type]
    with pytest.raises(UnknownTarget):
        active_controller(SimpleNamespace(nodes=[_node(tmp_path / "x", 1, None)]))  # type: ignore[arg-type]
