"""A managed Kafka: SASL (SCRAM-SHA-512) over TLS, from the settings every service reads.

The broker here is a real one with a SASL_SSL listener beside its plaintext one: its key
and certificate come from a CA made in the test, and its SCRAM user is written when its
storage is formatted. The admin client, a producer, the consumer runner's consumer and the
live feed's kind of consumer all connect through ``ServiceSettings.kafka``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from switchboard.servicekit.devinfra.kafka import KafkaBroker, SaslSslListener
from switchboard.servicekit.kafka import KafkaConnection, ensure_topics, make_producer
from switchboard.servicekit.settings import ServiceSettings

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

USER, PASSWORD = "switchboard-intake", "a-long-scram-password-for-tests"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[str, ec.EllipticCurvePrivateKey]
) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer[0]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
    )


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def make_ca_and_keystore(directory: Path, *, ca_name: str) -> tuple[Path, Path]:
    """A CA, and the broker's PKCS#8 key with its certificate (for 127.0.0.1) signed by
    it: (the CA's PEM, the broker's keystore PEM)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        _certificate(ca_name, ca_key, (ca_name, ca_key))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    broker_key = ec.generate_private_key(ec.SECP256R1())
    broker = (
        _certificate("kafka.test", broker_key, (ca_name, ca_key))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, keystore = directory / f"{ca_name}.pem", directory / "broker-keystore.pem"
    ca_file.write_bytes(_pem(ca))
    key_pem = broker_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    keystore.write_bytes(key_pem + _pem(broker) + _pem(ca))
    return ca_file, keystore


@pytest.fixture(scope="module")
def managed_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[KafkaBroker, Path]]:
    directory = tmp_path_factory.mktemp("managed-kafka")
    ca_file, keystore = make_ca_and_keystore(directory, ca_name="test-ca")
    listener = SaslSslListener(keystore=keystore, users={USER: PASSWORD})
    with KafkaBroker(directory / "broker", sasl_ssl=listener) as broker:
        yield broker, ca_file


def settings_for(broker: KafkaBroker, ca_file: Path, **changes: object) -> ServiceSettings:
    assert broker.sasl_ssl is not None
    values: dict[str, object] = {
        "kafka_bootstrap_servers": f"127.0.0.1:{broker.sasl_ssl.port}",
        "kafka_security_protocol": "SASL_SSL",
        "kafka_sasl_mechanism": "SCRAM-SHA-512",
        "kafka_sasl_username": USER,
        "kafka_sasl_password": PASSWORD,
        "kafka_ssl_cafile": str(ca_file),
    }
    return ServiceSettings(**(values | changes))  # type: ignore[arg-type]


async def consume_one(connection: KafkaConnection, topic: str) -> bytes | None:
    consumer = AIOKafkaConsumer(
        topic,
        **connection.client_options(),
        group_id="managed-kafka-test",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        async with asyncio.timeout(60):
            while True:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    return records[0].value
    finally:
        await consumer.stop()


async def test_admin_producer_and_consumer_connect_with_scram_over_tls(managed_kafka):
    broker, ca_file = managed_kafka
    connection = settings_for(broker, ca_file).kafka
    assert connection.uses_tls
    assert connection.sasl_mechanism == "SCRAM-SHA-512"

    await ensure_topics(connection, ["managed.events"], partitions=2)
    producer = make_producer(connection, client_id="managed-test")
    await producer.start()
    try:
        await producer.send_and_wait("managed.events", b"over SASL_SSL", key=b"case-1")
    finally:
        await producer.stop()
    assert await consume_one(connection, "managed.events") == b"over SASL_SSL"

    admin = AIOKafkaAdminClient(**connection.client_options())
    await admin.start()
    try:
        (described,) = await admin.describe_topics(["managed.events"])
    finally:
        await admin.close()
    assert len(described["partitions"]) == 2


async def test_a_wrong_password_is_refused(managed_kafka, caplog):
    broker, ca_file = managed_kafka
    connection = settings_for(broker, ca_file, kafka_sasl_password="not-the-password").kafka
    producer = make_producer(connection)
    with pytest.raises(KafkaError):
        await asyncio.wait_for(producer.start(), timeout=60)
    await producer.stop()
    assert "SaslAuthenticationFailed" in caplog.text


async def test_a_broker_certificate_from_another_ca_is_refused(managed_kafka, tmp_path, caplog):
    broker, _ = managed_kafka
    other_ca, _ = make_ca_and_keystore(tmp_path, ca_name="other-ca")
    connection = settings_for(broker, other_ca).kafka
    producer = make_producer(connection)
    with pytest.raises((KafkaError, ssl.SSLError)):
        await asyncio.wait_for(producer.start(), timeout=60)
    await producer.stop()
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text


def test_half_a_sasl_configuration_is_refused_at_start():
    with pytest.raises(ValueError, match="SASL mechanism, user name and password"):
        ServiceSettings(kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="SCRAM-SHA-512")
    with pytest.raises(ValueError, match="need SASL_SSL or SASL_PLAINTEXT"):
        ServiceSettings(kafka_sasl_mechanism="SCRAM-SHA-512")
    with pytest.raises(ValueError, match="need SASL_SSL or SASL_PLAINTEXT"):
        ServiceSettings(kafka_sasl_username="u", kafka_sasl_password="p")
    with pytest.raises(ValueError, match="TLS files need SSL or SASL_SSL"):
        ServiceSettings(kafka_ssl_cafile="/etc/ca.pem")
    with pytest.raises(ValueError, match="SASL PLAIN without TLS"):
        ServiceSettings(
            environment="production",
            database_url="postgresql+asyncpg://u:p@127.0.0.1/db",
            kafka_security_protocol="SASL_PLAINTEXT",
            kafka_sasl_mechanism="PLAIN",
            kafka_sasl_username="u",
            kafka_sasl_password="p",
        )
