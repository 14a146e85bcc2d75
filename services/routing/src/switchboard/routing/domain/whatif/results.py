"""What an alternative gives, per pool: waits, service level and offers per agent, and the
table that puts the alternatives side by side."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean

from switchboard.routing.domain.whatif.recording import AgentDay, RecordedDay


@dataclass(frozen=True, slots=True)
class PoolOutcome:
    pool: str
    visits: int
    offered: int
    """Visits offered before the day's end; the others waited on unserved."""
    wait_mean: float | None
    wait_p50: float | None
    wait_p90: float | None
    service_level: float | None
    """Share of the visits offered within the pool's target (those still waiting past it
    at the day's end count as missed)."""
    target_seconds: float
    agents: int
    offers_per_agent: float | None
    """Mean offers per agent of the pool, per replay."""


@dataclass(frozen=True, slots=True)
class Outcome:
    name: str
    pools: tuple[PoolOutcome, ...]
    offers: Mapping[str, float]
    """Per agent, per replay."""
    answers_assumed: int = 0
    """Offers to an agent not offered that case that day: taken as accepted."""
    holds_assumed: int = 0
    """Accepted visits never handled to the end that day: held for the pool's mean."""
    replay_seconds: float = 0.0
    """Wall-clock time one replay took (the mean of the replays)."""
    replays: int = 1
    """Replays of the day, each drawing the dispatch latencies anew (seeded)."""


def outcome(
    name: str,
    day: RecordedDay,
    waits: Sequence[Mapping[str, float | None]],
    *,
    offers: Counter[str],
    agents: Sequence[AgentDay],
    target_of: Callable[[str], float],
) -> Outcome:
    """``waits``: one mapping per replay of the day (one for the day as recorded); each
    visit's waits in all of them count, and offers are per replay."""
    runs = max(1, len(waits))
    pools: dict[str, list[str]] = {}
    for visit in day.visits:
        pools.setdefault(visit.pool, []).append(visit.key)
    at = {visit.key: visit.at for visit in day.visits}
    rows = []
    for pool in sorted(pools):
        keys = pools[pool]
        every = [(key, run.get(key)) for run in waits for key in keys]
        known = sorted(w for _, w in every if w is not None)
        target = target_of(pool)
        judged = [
            w for key, w in every if w is not None or (day.end - at[key]).total_seconds() > target
        ]
        met = sum(1 for w in judged if w is not None and w <= target)
        members = [a.id for a in agents if pool in a.pools]
        rows.append(
            PoolOutcome(
                pool=pool,
                visits=len(keys),
                offered=round(len(known) / runs),
                wait_mean=fmean(known) if known else None,
                wait_p50=percentile(known, 0.5),
                wait_p90=percentile(known, 0.9),
                service_level=met / len(judged) if judged else None,
                target_seconds=target,
                agents=len(members),
                offers_per_agent=fmean(offers.get(a, 0) / runs for a in members)
                if members
                else None,
            )
        )
    per_run = {agent: count / runs for agent, count in offers.items()}
    return Outcome(name=name, pools=tuple(rows), offers=per_run, replays=len(waits))


def percentile(ordered: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile of sorted values."""
    if not ordered:
        return None
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


def side_by_side(outcomes: Sequence[Outcome]) -> str:
    """A plain-text table: one row per pool and measure, one column per alternative."""
    measures: tuple[tuple[str, Callable[[PoolOutcome], str]], ...] = (
        ("visits offered", lambda p: f"{p.offered}/{p.visits}"),
        ("wait mean s", lambda p: _num(p.wait_mean)),
        ("wait p50 s", lambda p: _num(p.wait_p50)),
        ("wait p90 s", lambda p: _num(p.wait_p90)),
        ("service level", lambda p: _share(p.service_level, p.target_seconds)),
        ("agents", lambda p: str(p.agents)),
        ("offers/agent", lambda p: _num(p.offers_per_agent)),
    )
    header = ["pool", "measure", *(o.name for o in outcomes)]
    lines = [header]
    pools = sorted({p.pool for o in outcomes for p in o.pools})
    for pool in pools:
        for label, show in measures:
            cells = []
            for each in outcomes:
                found = next((p for p in each.pools if p.pool == pool), None)
                cells.append(show(found) if found else "-")
            lines.append([pool, label, *cells])
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in lines
    )


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _share(value: float | None, target: float) -> str:
    return "-" if value is None else f"{value:.0%} in {target:g}s"
