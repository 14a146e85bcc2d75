"""Optional: Kafka and PostgreSQL in Docker through testcontainers.

Used only when SWITCHBOARD_USE_TESTCONTAINERS=1 and a Docker engine answers; otherwise the
plugin launches local processes. Container ports change on restart, so the broker is
exposed as external (restart tests skip).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

KAFKA_IMAGE = os.environ.get("SWITCHBOARD_KAFKA_IMAGE", "confluentinc/cp-kafka:7.6.0")
POSTGRES_IMAGE = os.environ.get("SWITCHBOARD_POSTGRES_IMAGE", "postgres:16-alpine")


def wanted() -> bool:
    if os.environ.get("SWITCHBOARD_USE_TESTCONTAINERS") != "1":
        return False
    try:
        import docker

        docker.from_env(timeout=5).ping()
    except Exception:  # no client, no socket, no daemon: all mean "use local processes"
        return False
    return True


@contextmanager
def kafka_bootstrap() -> Iterator[str]:
    from testcontainers.community.kafka import KafkaContainer

    with KafkaContainer(image=KAFKA_IMAGE).with_kraft() as container:
        yield str(container.get_bootstrap_server())


@contextmanager
def postgres_server_url() -> Iterator[str]:
    from testcontainers.community.postgres import PostgresContainer

    with PostgresContainer(image=POSTGRES_IMAGE, driver=None) as container:
        yield str(container.get_connection_url())
