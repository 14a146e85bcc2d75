"""``switchboard-up`` as a user runs it: everything started and ready, Ctrl-C (SIGINT) or
SIGTERM stops every process it started, and a second run finds the first run's data."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from switchboard.servicekit.auth import DEV_JWT_SECRET, TokenVerifier

pytestmark = pytest.mark.integration
SERVICES = ("intake", "routing", "escalation", "feedback")


def free_port_run(length: int) -> int:
    """The first of ``length`` consecutive free loopback ports."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base + length < 65000 and all(_free(base + i) for i in range(length)):
            return base
    raise RuntimeError("no run of free ports")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def admin() -> dict[str, str]:
    token = TokenVerifier(DEV_JWT_SECRET, "switchboard").issue(subject="t", role="admin")
    return {"Authorization": f"Bearer {token}"}


class Launch:
    def __init__(self, data_dir: Path, *extra: str) -> None:
        self.base = free_port_run(4)
        self.kafka = free_port_run(1)
        self.output = data_dir.parent / f"up-{self.base}.out"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
        env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
        command = [
            str(Path(sys.executable).parent / "switchboard-up"),
            "--data-dir", str(data_dir),
            "--port-base", str(self.base),
            "--kafka-port", str(self.kafka),
            *extra,
        ]  # fmt: skip
        with self.output.open("wb") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)

    def url(self, offset: int) -> str:
        return f"http://127.0.0.1:{self.base + offset}"

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_running(self, timeout: float = 150) -> None:
        deadline = time.monotonic() + timeout
        while "Switchboard is running" not in self.text():
            assert self.process.poll() is None, self.text()
            assert time.monotonic() < deadline, self.text()
            time.sleep(0.5)

    def stop(self, sig: signal.Signals) -> int:
        self.process.send_signal(sig)
        try:
            return self.process.wait(90)
        finally:
            if self.process.poll() is None:
                self.process.kill()


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """Under /tmp, world-searchable: the private PostgreSQL cluster runs as 'postgres'."""
    with tempfile.TemporaryDirectory(prefix="switchboard-up-") as folder:
        os.chmod(folder, 0o755)
        yield Path(folder) / "platform"


def processes_using(data_dir: Path) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                environ = (proc / "environ").read_bytes()
                cwd = os.readlink(proc / "cwd")  # services run in the logs directory
            except OSError:
                continue
            mentioned = str(data_dir) in cmdline or str(data_dir).encode() in environ
            if mentioned or cwd.startswith(str(data_dir)):
                found.append(f"{proc.name}: {cmdline[:120]}")
    return found


def test_up_stops_on_ctrl_c_and_a_second_run_reuses_the_data(data_dir: Path) -> None:
    first = Launch(data_dir, "--database", "postgres")
    try:
        first.wait_running()
        for offset in range(4):
            assert httpx.get(f"{first.url(offset)}/readyz").status_code == 200
        created = httpx.post(
            f"{first.url(0)}/v1/admin/adapters",
            json={"id": "chat-kept", "channel": "chat", "region": "dach"},
            headers=admin(),
        )
        assert created.status_code == 201, created.text
    finally:
        code = first.stop(signal.SIGINT)
    assert code == 0, first.text()
    assert "stopped; data kept" in first.text()
    assert processes_using(data_dir) == []

    second = Launch(data_dir, "--database", "postgres")
    try:
        second.wait_running()
        adapters = httpx.get(f"{second.url(0)}/v1/admin/adapters", headers=admin()).json()
        assert "chat-kept" in [adapter["id"] for adapter in adapters]
    finally:
        code = second.stop(signal.SIGTERM)
    assert code == 0, second.text()
    assert processes_using(data_dir) == []


def test_a_taken_port_is_a_clear_error_and_nothing_is_left_running(data_dir: Path) -> None:
    with socket.socket() as squatter:
        launch = Launch(data_dir, "--database", "sqlite")
        squatter.bind(("127.0.0.1", launch.base + 1))
        squatter.listen()
        code = launch.process.wait(150)
    assert code == 1
    assert f"port {launch.base + 1} for routing is taken" in launch.text()
    assert processes_using(data_dir) == []


def test_ctrl_c_during_the_demo_day_stops_the_simulator_first_with_its_report(
    data_dir: Path,
) -> None:
    launch = Launch(data_dir, "--demo", "--day-seconds", "60", "--contacts", "60")
    try:
        deadline = time.monotonic() + 150
        while "day 1 10:" not in launch.text():  # the simulator's hourly line, off a TTY
            assert launch.process.poll() is None, launch.text()
            assert time.monotonic() < deadline, launch.text()
            time.sleep(0.5)
    finally:
        code = launch.stop(signal.SIGINT)
    assert code == 0, launch.text()
    report = json.loads((data_dir / "demo-day.json").read_text())
    assert report["interrupted"] is True
    assert report["contacts_accepted"] > 0
    assert "stopped; data kept" in launch.text()
    assert processes_using(data_dir) == []


def test_replicas_each_get_a_port_and_one_dying_leaves_the_platform_up(data_dir: Path) -> None:
    extra = free_port_run(2)
    launch = Launch(
        data_dir,
        "--database", "postgres",
        "--replicas", "routing=2,escalation=2",
        "--replica-port-base", str(extra),
    )  # fmt: skip
    try:
        launch.wait_running(240)
        listed = json.loads((data_dir / "services.json").read_text())
        assert listed["routing"] == [launch.url(1), f"http://127.0.0.1:{extra}"]
        assert listed["escalation"] == [launch.url(2), f"http://127.0.0.1:{extra + 1}"]
        assert listed["intake"] == [launch.url(0)]
        assert f"http://127.0.0.1:{extra + 1}" in launch.text()  # the table lists each replica
        for urls in listed.values():
            for url in urls:
                assert httpx.get(f"{url}/readyz").status_code == 200, url
        # Both routing replicas heartbeat under their own names.
        (pid,) = [
            line.split(":")[0]
            for line in processes_using(data_dir)
            if "switchboard-routing serve" in line
            and f"SWITCHBOARD_ROUTING_HTTP_PORT={extra}".encode()
            in (Path("/proc") / line.split(":")[0] / "environ").read_bytes()
        ]
        os.kill(int(pid), signal.SIGKILL)
        deadline = time.monotonic() + 20
        while "routing-1 stopped on its own" not in launch.text():
            assert time.monotonic() < deadline, launch.text()
            time.sleep(0.3)
        assert launch.process.poll() is None, launch.text()  # the other replica carries on
        assert httpx.get(f"{launch.url(1)}/readyz").status_code == 200
    finally:
        code = launch.stop(signal.SIGINT)
    assert code == 0, launch.text()
    assert processes_using(data_dir) == []
