"""``python -m switchboard.chaos``: the soak — simulated days on the whole platform while
faults at random (seeded) kill -9 its services, the broker and PostgreSQL, for
``--minutes``; prints the fault, client and invariant tables and exits 1 if one fails."""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import shutil
import sys
import tempfile
from pathlib import Path

from switchboard.chaos.report import render
from switchboard.chaos.runner import ChaosOptions, launch, run_chaos


def _replicas(text: str) -> dict[str, int]:
    pairs = [item.split("=", 1) for item in text.split(",") if item.strip()]
    return {name.strip(): int(count) for name, count in pairs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m switchboard.chaos", description=__doc__)
    parser.add_argument("--minutes", type=float, default=20.0, help="how long faults go on")
    parser.add_argument("--seed", type=int, default=None, help="default: a random one (printed)")
    parser.add_argument("--kafka-nodes", type=int, choices=(1, 3), default=1)
    parser.add_argument("--replicas", type=_replicas, default={}, help="e.g. routing=2")
    parser.add_argument("--day-seconds", type=float, default=300.0)
    parser.add_argument("--contacts", type=int, default=400, help="contacts a day")
    parser.add_argument("--keep", type=Path, default=None, help="keep the data and logs here")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 1_000_000)
    print(f"soak: seed {seed} (again: --seed {seed}), {args.minutes} min of faults", flush=True)
    days = max(1, math.ceil(args.minutes * 60 / (args.day_seconds * 1.1)))
    options = ChaosOptions(
        seed=seed,
        minutes=args.minutes,
        kafka_nodes=args.kafka_nodes,
        replicas=args.replicas,
        day_seconds=args.day_seconds,
        contacts=args.contacts,
        days=days,
        longest_gap=30.0,
    )
    folder = args.keep or Path(tempfile.mkdtemp(prefix="switchboard-soak-"))
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)  # the private PostgreSQL runs as another user when we are root
    platform = launch(folder / "platform", options, say=lambda line: print(line, flush=True))
    try:
        report = asyncio.run(run_chaos(platform, options, say=lambda line: print(line, flush=True)))
    finally:
        platform.stop()
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    print(render(report), flush=True)
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
