"""``switchboard-feedback migrate``, then ``switchboard-feedback`` (no command: serve) gets
ready on the real broker and database."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import uuid

import httpx
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_service_migrates_then_serves_and_gets_ready(database_url, kafka_bootstrap):
    port = free_port()
    suffix = uuid.uuid4().hex[:8]
    env = os.environ | {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "SWITCHBOARD_FEEDBACK_DATABASE_URL": database_url,
        "SWITCHBOARD_FEEDBACK_HTTP_PORT": str(port),
        "SWITCHBOARD_FEEDBACK_CONSUMER_GROUP": f"feedback-cli-{suffix}",
        "SWITCHBOARD_FEEDBACK_TOPIC_NAMES": json.dumps(
            {
                f"switchboard.{name}": f"test-{name}-{suffix}"
                for name in ("cases", "assignments", "sla")
            }
        ),
    }
    command = [sys.executable, "-m", "switchboard.feedback.entrypoints.cli"]
    migrated = subprocess.run(
        [*command, "migrate"], env=env, capture_output=True, timeout=60, check=False
    )
    assert migrated.returncode == 0, migrated.stderr.decode(errors="replace")
    service = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        ready = None
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(300):
                try:
                    ready = await client.get("/readyz")
                    if ready.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            assert ready is not None
            assert ready.status_code == 200, ready.text
            checks = ready.json()["checks"]
            consumers = [name for name in checks if name.startswith("consumer ")]
            assert consumers, checks
            assert all(checks[name] == "ok" for name in consumers), checks
            unknown = await client.get("/surveys/not-a-token")
            assert unknown.status_code == 404
            asyncapi = await client.get("/asyncapi.json")
            assert "switchboard.surveys" in asyncapi.text
    finally:
        service.send_signal(signal.SIGTERM)
        try:
            service.wait(timeout=20)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait()
