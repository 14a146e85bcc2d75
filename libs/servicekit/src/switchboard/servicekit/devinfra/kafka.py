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
from pathlib import Path
from types import TracebackType

from switchboard.servicekit.devinfra import kafka_layout as layout
from switchboard.servicekit.devinfra._process import (
    LOOPBACK,
    InfraError,
    free_port,
    serve_from_cli,
    terminate,
    wait_until,
)
from switchboard.servicekit.devinfra.kafka_cds import ClassArchive
from switchboard.servicekit.devinfra.kafka_probe import is_serving

HEAP = "512m"


class KafkaBroker:
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
    ) -> None:
        """``fast_start`` trades peak throughput (C1-only JIT) for a start-up about twice as
        fast: right for tests, not for benchmarks."""
        self.data_dir = Path(data_dir).resolve()
        self.libs_dir = layout.find_libs(libs_dir)
        self.port = port or free_port()
        self.controller_port = free_port()
        while self.controller_port == self.port:
            self.controller_port = free_port()
        self.partitions = partitions
        self.fast_start = fast_start
        self._java_binary = layout.find_java()
        self._class_archive = ClassArchive(self._java_binary, self.libs_dir)
        self.startup_seconds: float | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._exit_hook_registered = False

    @property
    def bootstrap_servers(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "broker.log"

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 120.0) -> None:
        if self.running():
            return
        began = time.monotonic()
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
        self.startup_seconds = time.monotonic() - began

    def stop(self) -> None:
        if self._process is not None:
            # Generous grace: the first run of a machine records the class archive on exit.
            terminate(self._process, grace=60.0)
            self._class_archive.finish(clean_exit=self._process.returncode >= 0)
            self._process = None

    def __enter__(self) -> KafkaBroker:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def _java(self, *extra: str) -> list[str]:
        command = [
            self._java_binary,
            f"-Xmx{HEAP}",
            "-Xms64m",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            f"-Dkafka.logs.dir={self.data_dir}",
            *extra,
        ]
        if self.fast_start:
            command.append("-XX:TieredStopAtLevel=1")
        config = layout.log4j_config()
        if config is not None:
            command.append(f"-Dlog4j2.configurationFile={config}")
        return [*command, "-cp", f"{self.libs_dir}/*"]

    def _write_config(self) -> Path:
        config = self.data_dir / "server.properties"
        config.write_text(
            layout.server_properties(
                log_dir=self.data_dir / "kraft-logs",
                port=self.port,
                controller_port=self.controller_port,
                partitions=self.partitions,
            )
        )
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
                layout.new_cluster_id(),
                "-c",
                str(config),
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
