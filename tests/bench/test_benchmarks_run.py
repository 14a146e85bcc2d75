"""Every benchmark runs as committed, at tiny size (``--smoke``): a benchmark can never rot
unnoticed. The numbers are not judged here (``make bench`` measures); only that each ran
to its end and said so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = sorted(
    path.stem
    for path in (ROOT / "bench").glob("*.py")
    if "RESULT " in path.read_text(encoding="utf-8")
    and "def main" in path.read_text(encoding="utf-8")
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]


def test_every_benchmark_is_smoke_tested():
    assert len(BENCHMARKS) >= 10, BENCHMARKS


def test_make_bench_runs_every_benchmark():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    [line] = [line for line in makefile.splitlines() if line.startswith("BENCHES :=")]
    assert sorted(line.split(":=", 1)[1].split()) == BENCHMARKS


@pytest.mark.parametrize("name", BENCHMARKS)
def test_a_benchmark_runs_as_committed(name: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)  # each starts its own, as `make bench` does
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / f"{name}.py"), "--smoke"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=840,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert f"RESULT {name}: ok" in result.stdout, output[-4000:]
