"""One service as a child process: migrated by its console script's ``migrate`` command,
then served by ``serve``, logging to a file, stopped with SIGTERM and killed only if it
outlives the grace period."""

# Starting our own services' console scripts is this module's purpose.
# ruff: noqa: S603

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

LOOPBACK = "127.0.0.1"
SERVICES = ("intake", "routing", "escalation", "feedback")


class LaunchError(RuntimeError):
    """The platform could not be started; the message says why and where the logs are."""


@dataclass
class ServiceProcess:
    name: str
    port: int
    env: Mapping[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    replica: int = 0
    """Which replica of the service this is (0: the first, which also migrates)."""

    @property
    def label(self) -> str:
        """``routing`` for the first replica, ``routing-1``... for the others."""
        return self.name if self.replica == 0 else f"{self.name}-{self.replica}"

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def migration(self, venv_bin: Path) -> subprocess.Popen[bytes]:
        """``switchboard-<name> migrate`` as a child process (its output in the log)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            return subprocess.Popen(
                [str(venv_bin / f"switchboard-{self.name}"), "migrate"],
                env=dict(self.env),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.log_path.parent,
                start_new_session=True,
            )

    def start(self, venv_bin: Path) -> None:
        """Serve; the schema must be current (``migrate_all`` first)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(venv_bin / f"switchboard-{self.name}"), "serve"],
                env=dict(self.env),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.log_path.parent,
                # Own session: a terminal's Ctrl-C reaches the launcher only, which stops the
                # services before the broker and the database they need to shut down cleanly.
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminate(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)

    def wait_or_kill(self, grace: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self._lines()[-lines:]) or "(no log)"

    def errors(self, lines: int = 10) -> str:
        """The last ERROR and CRITICAL records of the service's JSON log."""
        levels = ('"level": "ERROR"', '"level": "CRITICAL"')
        found = [line for line in self._lines() if any(level in line for level in levels)]
        return "\n".join(found[-lines:])

    def _lines(self) -> list[str]:
        if not self.log_path.exists():
            return []
        return self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()


def migrate_all(services: Iterable[ServiceProcess], venv_bin: Path, timeout: float = 120) -> None:
    """Every service's ``migrate`` at once (each its own database; only its first replica
    migrates it); LaunchError on failure."""
    running = [(s, s.migration(venv_bin)) for s in services if s.replica == 0]
    failed = []
    for service, process in running:
        try:
            code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait(5)
        if code != 0:
            failed.append(f"{service.label} (exit {code}):\n{service.tail()}")
    if failed:
        raise LaunchError("migrating failed: " + "\n".join(failed))


def start_all(services: Iterable[ServiceProcess], venv_bin: Path) -> None:
    """Migrate every service, then serve each: migrating is a step of its own."""
    services = list(services)
    migrate_all(services, venv_bin)
    for service in services:
        service.start(venv_bin)


def log_tails(services: Iterable[ServiceProcess], lines: int = 40) -> str:
    """Each service's last log lines, and its last errors when they are further back."""
    parts = []
    for service in services:
        parts.append(f"----- {service.label} ({service.log_path}) -----\n{service.tail(lines)}")
        if errors := service.errors():
            parts.append(f"----- {service.label}: last errors -----\n{errors}")
    return "\n".join(parts)


def wait_ready(services: Iterable[ServiceProcess], timeout: float) -> None:
    """Poll every service's /readyz until all answer 200; fail fast when one exits."""
    waiting = {service.label: service for service in services}
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while waiting:
            for name, service in sorted(waiting.items()):
                if not service.alive():
                    raise LaunchError(
                        f"{name} exited while starting (log {service.log_path}):\n{service.tail()}"
                    )
                try:
                    if client.get(f"{service.url}/readyz").status_code == 200:
                        del waiting[name]
                except httpx.TransportError:
                    pass
            if waiting and time.monotonic() > deadline:
                tails = log_tails(waiting.values())
                raise LaunchError(f"not ready after {timeout:.0f} s: {sorted(waiting)}\n{tails}")
            if waiting:
                time.sleep(0.3)


def stop_all(services: Iterable[ServiceProcess], grace: float = 15.0) -> None:
    """SIGTERM to every service at once, then kill whichever is still up after ``grace``."""
    running = list(services)
    for service in running:
        service.terminate()
    for service in running:
        service.wait_or_kill(grace)
