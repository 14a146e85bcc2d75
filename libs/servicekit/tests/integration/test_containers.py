"""On containers (SWITCHBOARD_USE_TESTCONTAINERS=1) the session really runs on the locally
built images: the broker container runs the Kafka version of deploy/kafka/pom.xml, as the
private launcher does, and PostgreSQL is the 15 the deployment runs."""

from __future__ import annotations

import os

import asyncpg
import pytest

from switchboard.servicekit.testing import containers

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        os.environ.get(containers.ENABLE) != "1", reason="the session runs on local processes"
    ),
]


def test_the_broker_is_a_container_of_the_pom_s_kafka_version(kafka_broker):
    assert isinstance(kafka_broker, containers.ContainerKafka)
    container = kafka_broker.container.get_wrapped_container()
    container.reload()
    assert container.status == "running"
    assert container.attrs["HostConfig"]["NetworkMode"] == "host"
    assert containers.kafka_image() in container.image.tags
    jars = container.exec_run(["ls", "/opt/kafka/libs"]).output.decode().split()
    version = containers.kafka_version()
    assert f"kafka_2.13-{version}.jar" in jars
    assert f"kafka-clients-{version}.jar" in jars
    assert kafka_broker.bootstrap_servers == f"127.0.0.1:{kafka_broker.port}"


async def test_postgres_is_the_container_s_15(postgres_server):
    connection = await asyncpg.connect(postgres_server.url(driver="postgresql"))
    try:
        version = int(await connection.fetchval("SHOW server_version_num"))
        listen = await connection.fetchval("SHOW listen_addresses")
        fsync = await connection.fetchval("SHOW fsync")
    finally:
        await connection.close()
    assert version // 10000 == 15
    assert listen == "127.0.0.1"
    assert fsync == "off"
