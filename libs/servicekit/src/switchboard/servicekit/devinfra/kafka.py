"""A real single-node Kafka broker (KRaft) as a local JVM process, and the switchboard-kafka
command that runs one for the local platform."""

# Starting local server binaries with arguments we build is this module's purpose.
# ruff: noqa: S603

from __future__ import annotations

import argparse
import atexit
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path

from switchboard.servicekit.devinfra import kafka_layout as layout
from switchboard.servicekit.devinfra._process import (
    LOOPBACK,
    InfraError,
    StartedInWith,
    free_port,
    kill_group,
    serve_from_cli,
    terminate,
    wait_until,
)
from switchboard.servicekit.devinfra.kafka_cds import ClassArchive
from switchboard.servicekit.devinfra.kafka_probe import is_serving

HEAP = "512m"

# The broker shares a couple of CPUs with the services, PostgreSQL and load generators of
# tests and benchmarks, at hundreds to a few thousand requests per second. Measured there
# (2 cores, 800 records/s in, 3 consumer groups), about half its CPU in the first minutes
# went to the C2 JIT compiling the broker's large code base, and the rest to more network,
# I/O and coordinator threads than there are cores handing requests to one another. So:
# C1 only (~1.6x C2's CPU per request once C2 is done, but C2 takes 20-25 % of a core
# for minutes to get there: C1 comes out ahead over runs of a few minutes, and at a steady
# few hundred requests/s for much longer), a serial collector (no concurrent GC threads or
# G1 barriers; young pauses of a few ms on this small heap) and one thread per stage.
JVM_FLAGS = (
    f"-Xmx{HEAP}",
    "-Xms128m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:CICompilerCount=1",
    "-XX:-UseDynamicNumberOfCompilerThreads",
    # No hsperfdata file: the JVM's counters are not written to a mapped file ~20x a second
    # (jcmd still works; jps/jstat no longer list the broker).
    "-XX:+PerfDisableSharedMem",
    "-Djava.awt.headless=true",
)

# Overrides of kafka_layout.server_properties (the rest there stays as is).
LEAN_SETTINGS = {
    "num.network.threads": "1",
    "num.io.threads": "2",
    "background.threads": "2",
    "group.coordinator.threads": "1",
    "group.coordinator.background.threads": "1",
    # The controller appends a no-op record (and fsyncs the metadata log) this often when
    # idle; 500 ms by default.
    "metadata.max.idle.interval.ms": "5000",
}


@dataclass(frozen=True)
class SaslSslListener:
    """A second listener, as a managed Kafka offers it: TLS with a PEM key and certificate
    chain (``keystore``: an unencrypted PKCS#8 key and the chain in one file), and SASL
    SCRAM-SHA-512 for ``users`` (name → password, written when the storage is formatted)."""

    keystore: Path
    users: dict[str, str]
    port: int = dataclass_field(default_factory=free_port)

    def properties(self) -> dict[str, str]:
        return {
            "sasl.enabled.mechanisms": SCRAM,
            "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": (
                "org.apache.kafka.common.security.scram.ScramLoginModule required;"
            ),
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(self.keystore),
        }

    def format_arguments(self) -> list[str]:
        return [
            argument
            for name, password in self.users.items()
            for argument in ("--add-scram", f"{SCRAM}=[name={name},password={password}]")
        ]


SCRAM = "SCRAM-SHA-512"


class KafkaBroker(StartedInWith):
    """One broker+controller on loopback; ports are fixed per object so clients reconnect
    after ``stop()``/``start()``, and the data dir survives both."""

    restartable = True

    def __init__(
        self,
        data_dir: Path,
        libs_dir: Path | None = None,
        port: int | None = None,
        partitions: int = 3,
        *,
        fast_start: bool = False,
        sasl_ssl: SaslSslListener | None = None,
        node_id: int = 1,
        controller_port: int | None = None,
        voters: str | None = None,
        cluster_id: str | None = None,
        replication: int = 1,
    ) -> None:
        """``fast_start`` is kept for callers that ask for it: every broker now starts with
        the C1-only JIT it used to select (see ``JVM_FLAGS``)."""
        self.data_dir = Path(data_dir).resolve()
        self.libs_dir = layout.find_libs(libs_dir)
        self.port = port or free_port()
        self.controller_port = controller_port or free_port()
        while self.controller_port == self.port:
            self.controller_port = free_port()
        self.node_id = node_id
        self.voters = voters
        self.cluster_id = cluster_id
        self.replication = replication
        self.partitions = partitions
        self.fast_start = fast_start
        self.sasl_ssl = sasl_ssl
        self._java_binary = layout.find_java()
        self._class_archive = ClassArchive(self._java_binary, self.libs_dir)
        self.startup_seconds: float | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._exit_hook_registered = False
        self._began = time.monotonic()

    @property
    def bootstrap_servers(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "broker.log"

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The broker's JVM while it runs (benchmarks account its CPU)."""
        return self._process.pid if self.running() and self._process is not None else None

    def start(self, timeout: float = 120.0) -> None:
        if self.running():
            return
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        """Start the JVM without waiting for it to serve (a cluster's nodes serve only once
        a quorum of them runs)."""
        if self.running():
            return
        self._began = time.monotonic()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self._write_config()
        self._format_once(config)
        with (self.data_dir / "stdout.log").open("ab") as out:
            self._process = subprocess.Popen(
                [*self._java(*self._class_archive.flags()), "kafka.Kafka", str(config)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # Own session: a terminal's Ctrl-C reaches the CLI, which stops us in order.
                start_new_session=True,
            )
        if not self._exit_hook_registered:
            atexit.register(self.stop)  # a script or interrupted run that never stops us
            self._exit_hook_registered = True

    def wait_ready(self, timeout: float = 120.0) -> None:
        assert self._process is not None, "launch() first"
        try:
            wait_until(
                lambda: is_serving(LOOPBACK, self.port),
                process=self._process,
                timeout=timeout,
                what=f"Kafka broker on {self.bootstrap_servers}",
                logs=[self.log_file, self.data_dir / "stdout.log"],
            )
        except InfraError:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - self._began

    def kill(self) -> None:
        """Crash the broker (kill -9), for fault tests; ``start()`` brings it back."""
        if self._process is not None:
            kill_group(self._process)
            self._class_archive.finish(clean_exit=False)
            self._process = None

    def stop(self) -> None:
        if self._process is not None:
            # Generous grace: the first run of a machine records the class archive on exit.
            terminate(self._process, grace=60.0)
            self._class_archive.finish(clean_exit=self._process.returncode >= 0)
            self._process = None

    def _java(self, *extra: str) -> list[str]:
        command = [
            self._java_binary,
            *JVM_FLAGS,
            f"-Dkafka.logs.dir={self.data_dir}",
            *extra,
        ]
        config = layout.log4j_config()
        if config is not None:
            command.append(f"-Dlog4j2.configurationFile={config}")
        return [*command, "-cp", f"{self.libs_dir}/*"]

    def _write_config(self) -> Path:
        config = self.data_dir / "server.properties"
        base = layout.server_properties(
            log_dir=self.data_dir / "kraft-logs",
            port=self.port,
            controller_port=self.controller_port,
            partitions=self.partitions,
            node_id=self.node_id,
            voters=self.voters,
            replication=self.replication,
        )
        settings = dict(line.split("=", 1) for line in base.splitlines() if line)
        settings |= LEAN_SETTINGS
        if self.sasl_ssl is not None:
            secure = f"SASL_SSL://{LOOPBACK}:{self.sasl_ssl.port}"
            settings["listeners"] += f",{secure}"
            settings["advertised.listeners"] += f",{secure}"
            settings["listener.security.protocol.map"] += ",SASL_SSL:SASL_SSL"
            settings |= self.sasl_ssl.properties()
        config.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
        return config

    def _format_once(self, config: Path) -> None:
        if (self.data_dir / "kraft-logs" / "meta.properties").is_file():
            return
        result = subprocess.run(
            [
                *self._java(),
                "kafka.tools.StorageTool",
                "format",
                "-t",
                self.cluster_id or layout.new_cluster_id(),
                "-c",
                str(config),
                *(self.sasl_ssl.format_arguments() if self.sasl_ssl else []),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise InfraError(
                f"formatting KRaft storage in {self.data_dir} failed:\n"
                f"{result.stdout}{result.stderr}"
            )


class KafkaCluster(StartedInWith):
    """``size`` KRaft nodes on loopback, each broker and controller, one quorum: topics
    replicated ``size`` times with ``min.insync.replicas`` one less, so any one node can be
    killed while acks=all producers go on. Ports and data dirs are fixed per node, so a
    killed node ``start()``s again as itself."""

    def __init__(
        self, data_dir: Path, *, size: int = 3, partitions: int = 3, first_port: int | None = None
    ) -> None:
        controller_ports = [free_port() for _ in range(size)]
        ports = [first_port or free_port(), *(free_port() for _ in range(size - 1))]
        voters = ",".join(
            f"{node}@{LOOPBACK}:{port}" for node, port in enumerate(controller_ports, start=1)
        )
        cluster_id = layout.new_cluster_id()
        self.nodes = [
            KafkaBroker(
                Path(data_dir) / f"node-{node}",
                port=ports[node - 1],
                partitions=partitions,
                node_id=node,
                controller_port=port,
                voters=voters,
                cluster_id=cluster_id,
                replication=size,
            )
            for node, port in enumerate(controller_ports, start=1)
        ]

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(node.bootstrap_servers for node in self.nodes)

    def node(self, node_id: int) -> KafkaBroker:
        return self.nodes[node_id - 1]

    def start(self, timeout: float = 180.0) -> None:
        """Every node serving, or none: a node that fails to start stops the others (a
        ``with`` block never entered would not)."""
        try:
            for node in self.nodes:
                node.launch()
            for node in self.nodes:
                node.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """All nodes at once: stopped one by one, the last ones would wait for a quorum
        that has gone to hand their partitions over."""
        with ThreadPoolExecutor(max_workers=len(self.nodes)) as pool:
            list(pool.map(lambda node: node.stop(), self.nodes))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="switchboard-kafka",
        description="Run a single-node Kafka broker on loopback until SIGINT/SIGTERM.",
    )
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--partitions", type=int, default=3)
    args = parser.parse_args(argv)
    try:
        broker = KafkaBroker(args.data_dir, port=args.port, partitions=args.partitions)
        broker.start()
    except InfraError as error:
        print(f"switchboard-kafka: {error}", file=sys.stderr)
        return 1
    return serve_from_cli("switchboard-kafka", broker, broker.bootstrap_servers)


if __name__ == "__main__":
    sys.exit(main())
