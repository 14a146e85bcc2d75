"""What the Kafka and PostgreSQL launchers share: ports, logs, waiting and stopping."""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

LOOPBACK = "127.0.0.1"


class InfraError(RuntimeError):
    """A local broker or database server could not be set up or started."""


LISTEN_PORTS_FROM = 20000
"""Ports for our listeners are chosen from here up to the kernel's ephemeral range."""
_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def free_port() -> int:
    """A port free right now on loopback, below the ephemeral range; callers keep it, so
    restarts reuse it. The kernel hands ephemeral ports to every outgoing connection's own
    end: one chosen there could be taken by a client's connection before the server that
    was to listen on it (re)started — after a kill -9 in a soak, the restarted service
    found its port in use."""
    first_ephemeral = _first_ephemeral_port()
    rng = random.SystemRandom()
    for _ in range(100) if first_ephemeral - LISTEN_PORTS_FROM > 1000 else ():
        port = rng.randrange(LISTEN_PORTS_FROM, first_ephemeral - 16)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((LOOPBACK, port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _first_ephemeral_port() -> int:
    try:
        return int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


# Java stack frames push the message that explains a failure out of a short tail.
_STACK_FRAME = re.compile(r"^\s+(at |\.\.\. \d+ more)")


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    kept = [line for line in text.splitlines() if not _STACK_FRAME.match(line)]
    return "\n".join(kept[-lines:]) or f"({path} is empty)"


def _tails(logs: Sequence[Path]) -> str:
    present = [log for log in logs if log.is_file() and log.stat().st_size > 0]
    return "\n".join(f"last lines of {log}:\n{log_tail(log)}" for log in present or logs)


def wait_until(
    ready: Callable[[], bool],
    *,
    process: subprocess.Popen[bytes],
    timeout: float,
    what: str,
    logs: Sequence[Path],
) -> None:
    """Poll ``ready`` until true; fail fast with the logs' tails if the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise InfraError(
                f"{what} exited with code {process.returncode} while starting; {_tails(logs)}"
            )
        if ready():
            return
        time.sleep(0.1)
    raise InfraError(f"{what} did not answer within {timeout:.0f}s; {_tails(logs)}")


def terminate(
    process: subprocess.Popen[bytes],
    *,
    first: signal.Signals = signal.SIGTERM,
    grace: float = 20.0,
) -> None:
    """Ask the process to stop, then kill it if it outlives the grace period."""
    if process.poll() is not None:
        return
    process.send_signal(first)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """A crash: SIGKILL to the process and every child in its session, no shutdown at all."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def serve_until_signal(alive: Callable[[], bool]) -> bool:
    """Block a CLI until SIGINT/SIGTERM (True) or until its server dies on its own (False)."""
    stop = threading.Event()

    def on_signal(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    while not stop.wait(1.0):
        if not alive():
            return False
    return True


class StartedInWith:
    """``with server:`` starts it and stops it, whatever happens inside."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


class _Server(Protocol):
    @property
    def startup_seconds(self) -> float | None: ...

    @property
    def log_file(self) -> Path: ...

    def running(self) -> bool: ...

    def stop(self) -> None: ...


def serve_from_cli(command: str, server: _Server, address: str) -> int:
    """Print the address, run until SIGINT/SIGTERM, stop cleanly; 1 if the server died."""
    print(address, flush=True)
    print(
        f"{command}: ready in {server.startup_seconds or 0:.1f}s, logs in {server.log_file}",
        file=sys.stderr,
        flush=True,
    )
    try:
        clean = serve_until_signal(server.running)
    finally:
        server.stop()
    if not clean:
        print(f"{command}: server died:\n{log_tail(server.log_file)}", file=sys.stderr)
    return 0 if clean else 1
