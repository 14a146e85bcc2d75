"""The statistics every benchmark prints: distributions in milliseconds, rates, and one
number over repeated runs as its median and spread.

Shared by the benchmarks (each runs as a script, so this directory is on ``sys.path``).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` lie (linear interpolation between
    the closest ranks); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Distribution:
    n: int
    p50: float
    p90: float
    p99: float
    max: float
    mean: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Distribution:
        if not values:
            return cls(0, math.nan, math.nan, math.nan, math.nan, math.nan)
        return cls(
            n=len(values),
            p50=percentile(values, 0.50),
            p90=percentile(values, 0.90),
            p99=percentile(values, 0.99),
            max=max(values),
            mean=statistics.fmean(values),
        )

    def ms(self) -> str:
        """Seconds shown as milliseconds: ``p50 12.3 · p90 … · p99 … · max … ms (n=…)``."""
        return (
            f"p50 {self.p50 * 1000:.1f} · p90 {self.p90 * 1000:.1f} · "
            f"p99 {self.p99 * 1000:.1f} · max {self.max * 1000:.1f} ms (n={self.n})"
        )

    def us(self) -> str:
        """Seconds shown as microseconds."""
        return (
            f"p50 {self.p50 * 1e6:.1f} · p90 {self.p90 * 1e6:.1f} · "
            f"p99 {self.p99 * 1e6:.1f} · max {self.max * 1e6:.1f} µs (n={self.n})"
        )


def over_runs(values: Sequence[float], unit: str = "", digits: int = 1) -> str:
    """One measure over repeated runs: ``median (min, max over N runs)``."""
    if not values:
        return "no runs"
    middle = statistics.median(values)
    return (
        f"{middle:,.{digits}f}{unit} (min {min(values):,.{digits}f}, "
        f"max {max(values):,.{digits}f} over {len(values)} runs)"
    )


def ratio(numerator: float, denominator: float) -> str:
    if denominator == 0 or math.isnan(denominator) or math.isnan(numerator):
        return "n/a"
    return f"{100 * numerator / denominator:.0f} %"


def verdict(name: str, targets: dict[str, bool], *, strict: bool) -> int:
    """Print each target ✓/✗ and the RESULT line; the exit status: 1 only when ``strict``
    and a target was missed (a measured miss is otherwise a result, not a failure)."""
    for target, ok in targets.items():
        print(f"{'✓' if ok else '✗'} {target}")
    missed = [target for target, ok in targets.items() if not ok]
    if missed and strict:
        print(f"RESULT {name}: failed targets missed: {'; '.join(missed)}")
        return 1
    print(f"RESULT {name}: ok" + (f" (targets missed: {'; '.join(missed)})" if missed else ""))
    return 0
