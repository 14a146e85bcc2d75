"""Kafka clients as every service uses them."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.helpers import create_ssl_context

from switchboard.servicekit.metrics import DEPENDENCY_UP

log = logging.getLogger(__name__)

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]


@dataclass(frozen=True)
class KafkaConnection:
    """How every client of a service reaches the cluster: the bootstrap servers and, for a
    managed Kafka, TLS (a CA to trust, optionally a client certificate) and SASL (SCRAM or
    PLAIN) — the same for producers, consumers and the admin client."""

    bootstrap_servers: str
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)
    ssl_cafile: str | None = None
    """PEM file of the CA(s) to trust; none: the system's."""
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    ssl_check_hostname: bool = True
    replication_factor: int = 1
    """For the topics a service creates (three on a production cluster)."""

    def __post_init__(self) -> None:
        sasl = self.security_protocol.startswith("SASL_")
        if sasl and not (self.sasl_mechanism and self.sasl_username and self.sasl_password):
            raise ValueError(
                f"{self.security_protocol} needs a SASL mechanism, user name and password"
            )
        if not sasl and (self.sasl_mechanism or self.sasl_username or self.sasl_password):
            raise ValueError(
                f"SASL settings need SASL_SSL or SASL_PLAINTEXT, not {self.security_protocol}: "
                "set the security protocol too (else they would be ignored)"
            )
        tls_files = (self.ssl_cafile, self.ssl_certfile, self.ssl_keyfile)
        if not self.uses_tls and any(tls_files):
            raise ValueError(
                f"TLS files need SSL or SASL_SSL, not {self.security_protocol}: set the "
                "security protocol too (else the connection would be plaintext)"
            )
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ValueError("a client certificate needs both its certificate and key files")
        if self.replication_factor < 1:
            raise ValueError("the replication factor is at least 1")

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka's producer, consumer and admin client."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": self.security_protocol,
        }
        if self.uses_tls:
            context = create_ssl_context(
                cafile=self.ssl_cafile, certfile=self.ssl_certfile, keyfile=self.ssl_keyfile
            )
            context.check_hostname = self.ssl_check_hostname
            options["ssl_context"] = context
        if self.sasl_mechanism:
            options |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.sasl_username,
                "sasl_plain_password": self.sasl_password,
            }
        return options


def connection_of(kafka: str | KafkaConnection) -> KafkaConnection:
    """Bootstrap servers alone mean a plaintext connection (the local broker, tests)."""
    return kafka if isinstance(kafka, KafkaConnection) else KafkaConnection(kafka)


def make_producer(
    kafka: str | KafkaConnection, *, client_id: str | None = None
) -> AIOKafkaProducer:
    """An idempotent producer (acks=all). No linger: the relay already hands over one
    record batch per partition, so waiting would only add latency."""
    return AIOKafkaProducer(
        **connection_of(kafka).client_options(),
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=0,
        max_batch_size=256 * 1024,
        request_timeout_ms=15000,
    )


async def ensure_topics(
    kafka: str | KafkaConnection, names: Iterable[str], *, partitions: int = 3
) -> None:
    """Create the topics that do not exist yet, with the connection's replication factor
    (1 suits the local broker)."""
    connection = connection_of(kafka)
    admin = AIOKafkaAdminClient(**connection.client_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in names if n not in existing]
        if not missing:
            return
        try:
            await admin.create_topics(
                [
                    NewTopic(
                        n,
                        num_partitions=partitions,
                        replication_factor=connection.replication_factor,
                    )
                    for n in missing
                ]
            )
        except TopicAlreadyExistsError:
            log.info("topics created concurrently by another process")
    finally:
        await admin.close()


class BrokerProbe:
    """Whether the broker answers a metadata request, asked at most once per ``ttl``
    seconds through the service's own producer (no extra connections)."""

    def __init__(self, producer: AIOKafkaProducer, *, ttl: float = 1.0, timeout: float = 2.0):
        self._producer = producer
        self._ttl = ttl
        self._timeout = timeout
        self._checked_at = -float("inf")
        self._reachable = True
        self._lock = asyncio.Lock()

    async def reachable(self) -> bool:
        async with self._lock:
            if time.monotonic() - self._checked_at < self._ttl:
                return self._reachable
            try:
                await asyncio.wait_for(
                    self._producer.client.fetch_all_metadata(), timeout=self._timeout
                )
                self._reachable = True
            except Exception:
                self._reachable = False
            self._checked_at = time.monotonic()
            DEPENDENCY_UP.labels("broker").set(1 if self._reachable else 0)
            return self._reachable
