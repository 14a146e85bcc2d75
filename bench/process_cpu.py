"""CPU seconds of process trees, from Linux /proc (user + system, exited children included).

Shared by the benchmarks (each runs as a script, so this directory is on ``sys.path``)."""

from __future__ import annotations

import os
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_table() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds) for every live process; the CPU seconds include those
    of its children that have exited (a database backend closed during a round)."""
    found: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        # fields[1] is the parent pid; fields[11:15] are utime, stime, cutime, cstime in ticks.
        ticks = sum(int(field) for field in fields[11:15])
        found[int(entry.name)] = (int(fields[1]), ticks / CLOCK_TICKS)
    return found


def tree_cpu(processes: dict[int, tuple[int, float]], root: int) -> float:
    """CPU seconds of ``root`` and all its descendants."""
    tree = {root}
    grew = True
    while grew:
        children = {pid for pid, (ppid, _) in processes.items() if ppid in tree} - tree
        tree |= children
        grew = bool(children)
    return sum(processes[pid][1] for pid in tree if pid in processes)


def postmaster_of(port: int) -> int | None:
    """The PostgreSQL server listening on ``port`` (other clusters may share the machine)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if not arguments[0].endswith(b"postgres") or b"-p" not in arguments:
            continue
        if arguments[arguments.index(b"-p") + 1 :][:1] == [str(port).encode()]:
            return int(entry.name)
    return None
