"""What the container path derives without Docker: image names and the broker's settings."""

from __future__ import annotations

import re

import pytest

from switchboard.servicekit.devinfra._process import InfraError
from switchboard.servicekit.testing import containers


def test_the_kafka_image_carries_the_pom_s_kafka_version(monkeypatch):
    monkeypatch.delenv("SWITCHBOARD_KAFKA_IMAGE", raising=False)
    version = containers.kafka_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert containers.kafka_image() == f"switchboard-kafka:{version}"
    monkeypatch.setenv("SWITCHBOARD_KAFKA_IMAGE", "elsewhere-kafka:1")
    assert containers.kafka_image() == "elsewhere-kafka:1"


@pytest.mark.parametrize(
    ("key", "variable"),
    [
        ("log.dirs", "KAFKA_LOG_DIRS"),
        ("share.coordinator.state.topic.min.isr", "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR"),
        ("a-b_c.d", "KAFKA_A__B___C_D"),
    ],
)
def test_settings_are_spelt_as_the_image_reads_them(key, variable):
    assert containers._kafka_variable(key) == variable


def test_a_key_the_image_could_not_read_back_is_refused():
    with pytest.raises(InfraError):
        containers._kafka_variable("a._b")


def test_the_broker_container_gets_the_private_broker_s_settings():
    broker = containers.ContainerKafka(image="unused")
    settings = broker.settings
    assert settings["listeners"] == (
        f"PLAINTEXT://127.0.0.1:{broker.port},CONTROLLER://127.0.0.1:{broker.controller_port}"
    )
    assert settings["advertised.listeners"] == f"PLAINTEXT://127.0.0.1:{broker.port}"
    assert settings["log.dirs"] == containers.KAFKA_DATA
    assert settings["num.io.threads"] == "2"  # LEAN_SETTINGS win, as for the private broker


def test_asking_for_containers_without_an_engine_fails_loudly(monkeypatch):
    monkeypatch.setenv(containers.ENABLE, "1")
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(InfraError, match="no Docker engine answers"):
        containers.wanted()
    monkeypatch.setenv(containers.ENABLE, "0")
    assert containers.wanted() is False
