"""Cold start of every service, as an operator meets it: ``switchboard-<service> migrate`` on
a new database, then ``switchboard-<service> serve`` until ``/readyz`` answers 200 (the
process starting, imports, the schema check, topics, consumers joining their group).
Repeated; median and spread. Private broker and PostgreSQL, loopback only.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import httpx
from infra import infrastructure
from stats import over_runs

from switchboard.launcher.processes import SERVICES, ServiceProcess
from switchboard.servicekit.devinfra import free_port

VENV_BIN = Path(sys.executable).parent


def timed_start(service: ServiceProcess) -> tuple[float, float]:
    """(seconds to migrate, seconds from ``serve`` until ready)."""
    script = str(VENV_BIN / f"switchboard-{service.name}")
    env, log = dict(service.env), service.log_path
    with log.open("ab") as out:
        began = time.monotonic()
        subprocess.run([script, "migrate"], env=env, stdout=out, stderr=out, check=True)
        migrated = time.monotonic() - began
        began = time.monotonic()
        process = subprocess.Popen([script, "serve"], env=env, stdout=out, stderr=out)
    try:
        with httpx.Client(timeout=2.0) as client:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"{service.name} exited: {log.read_text()[-2000:]}")
                try:
                    if client.get(f"{service.url}/readyz").status_code == 200:
                        return migrated, time.monotonic() - began
                except httpx.TransportError:
                    pass
                if time.monotonic() - began > 120:
                    raise RuntimeError(f"{service.name} not ready in 120 s")
                time.sleep(0.05)
    finally:
        process.terminate()
        process.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="one run")
    args = parser.parse_args()
    runs = 1 if args.smoke else args.runs
    try:
        with infrastructure(prefix="bench-startup-") as infra:
            results: dict[str, tuple[list[float], list[float]]] = {s: ([], []) for s in SERVICES}
            for _ in range(runs):
                for service in SERVICES:
                    port = free_port()
                    settings = {
                        "DATABASE_URL": infra.database(service),
                        "HTTP_PORT": str(port),
                        "CONSUMER_GROUP": f"startup-{service}-{port}",
                        "LOG_LEVEL": "WARNING",
                    }
                    migrated, ready = timed_start(infra.service(service, settings))
                    results[service][0].append(migrated)
                    results[service][1].append(ready)
            for service, (migrations, readies) in results.items():
                print(
                    f"{service:10} migrate on a new database {over_runs(migrations, ' s', 2)}; "
                    f"serve → ready {over_runs(readies, ' s', 2)}"
                )
    except Exception as error:
        print(f"RESULT service_startup: failed {type(error).__name__}: {error}")
        raise SystemExit(1) from error
    print("RESULT service_startup: ok")


if __name__ == "__main__":
    main()
