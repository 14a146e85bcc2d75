"""What the tool reads from a dead letter's headers, and how it names one."""

from __future__ import annotations

import json
from typing import ClassVar

import pytest
from aiokafka import ConsumerRecord
from typer.testing import CliRunner

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope, encode
from switchboard.contracts.topics import Topic
from switchboard.dlq.cli import app, kafka_connection
from switchboard.dlq.letters import DeadLetter, group_of, parse_position
from switchboard.servicekit.consumer.dead_letter import dead_letter_headers


class Poked(Event):
    event_type: ClassVar[str] = "test.poked"
    topic: ClassVar[Topic] = Topic("test-poked", "tests", "key", "test events")
    key_field: ClassVar[str] = "key"
    key: str


def record(topic: str, offset: int, value: bytes | None, headers) -> ConsumerRecord:
    return ConsumerRecord(topic, 1, offset, 0, 0, b"k-1", value, None, 3, 0, headers)


def dead_letter(value: bytes | None = None) -> tuple[DeadLetter, Envelope[Poked]]:
    envelope = Envelope(Poked(key="k-1"), source="/tests")
    original = encode(envelope)
    failed = record("test-poked", 41, original.value, original.headers)
    headers = dead_letter_headers(
        failed, group="routing", reason="no such queue", error="KeyError", attempts=4
    )
    stored = record("switchboard.dlq.routing", 7, value or original.value, headers)
    return DeadLetter.of(stored), envelope


def test_a_dead_letter_says_what_failed_where_and_why():
    letter, envelope = dead_letter()
    assert letter.position == "1:7"
    assert letter.group == "routing"
    assert (letter.event_type, letter.event_id) == ("test.poked", envelope.id)
    assert (letter.reason, letter.error_type, letter.attempts) == ("no such queue", "KeyError", "4")
    assert letter.failed_at.startswith("20")
    assert letter.original == "test-poked/1/41"
    assert letter.original_topic == "test-poked"
    assert letter.original_headers == list(encode(envelope).headers)
    row = letter.summary(replayed=False)
    assert row["position"] == "1:7"
    assert row["replayed"] is False


def test_the_value_is_pretty_printed_when_it_is_json():
    letter, _ = dead_letter()
    pretty = letter.pretty_value()
    assert pretty.startswith("{\n  ")
    assert json.loads(pretty)["key"] == "k-1"
    assert dead_letter(b"{not json \xff")[0].pretty_value() == "{not json \\xff"


def test_positions_and_topics_are_read_strictly():
    assert parse_position("2:15") == (2, 15)
    for bad in ("15", "a:1", "1:-1", "1:2:3", ""):
        with pytest.raises(ValueError, match=r"PARTITION:OFFSET|not negative"):
            parse_position(bad)
    assert group_of("switchboard.dlq.routing") == "routing"
    with pytest.raises(ValueError, match="no dead-letter topic"):
        group_of("switchboard.cases")


def test_a_bad_position_is_a_usage_error_before_any_broker_is_asked():
    result = CliRunner().invoke(app, ["replay", "-g", "routing", "--offset", "7"])
    assert result.exit_code == 2
    assert "PARTITION:OFFSET" in result.output
    result = CliRunner().invoke(app, ["show", "x:y", "-g", "routing"])
    assert result.exit_code == 2


def test_the_cluster_is_the_services_setting_with_other_servers_if_given(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "ops")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "s3cret-for-ops")
    monkeypatch.setenv("SWITCHBOARD_ENVIRONMENT", "production")  # no database named: no matter
    connection = kafka_connection(None)
    assert connection.bootstrap_servers == "127.0.0.1:19092"
    assert connection.client_options()["sasl_plain_username"] == "ops"
    other = kafka_connection("127.0.0.1:29092")
    assert other.bootstrap_servers == "127.0.0.1:29092"
    assert other.security_protocol == "SASL_PLAINTEXT", "the way in is kept"
    for name in ("BOOTSTRAP_SERVERS", "SECURITY_PROTOCOL", "SASL_MECHANISM", "SASL_USERNAME"):
        monkeypatch.delenv(f"KAFKA_{name}")
    monkeypatch.delenv("KAFKA_SASL_PASSWORD")
    assert kafka_connection(None).bootstrap_servers == "127.0.0.1:9092"
