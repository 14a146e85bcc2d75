"""Another staffing for a recorded day: agents added to or taken from a pool, or its
agents scaled. An added agent is a copy of one of the pool's agents (profile and presence
through the day), under a new id; the agents taken away are the pool's last by id."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from switchboard.routing.domain.whatif.recording import AgentDay

CHANGE = re.compile(r"^(?P<pool>[^:=\s]+)\s*[:=]\s*(?P<op>[+\-*x])\s*(?P<amount>\d+(\.\d+)?)$")


MAX_ADDED = 500
"""Most agents one change adds or removes: a what-if is a question about a team, and each
agent is simulated through the whole day."""
MAX_FACTOR = 10.0


class StaffingError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class StaffingChange:
    """``pool`` gets ``add`` more agents (fewer when negative), or ``factor`` times its
    agents (rounded)."""

    pool: str
    add: int = 0
    factor: float | None = None

    @classmethod
    def parse(cls, text: str) -> StaffingChange:
        """``emea:+2``, ``emea:-1`` or ``emea:*1.5`` (``x`` for ``*`` too)."""
        found = CHANGE.match(text.strip())
        if found is None:
            raise StaffingError(f"{text!r}: expected POOL:+N, POOL:-N or POOL:*FACTOR")
        pool, op, amount = found["pool"], found["op"], found["amount"]
        if op in "*x":
            if float(amount) > MAX_FACTOR:
                raise StaffingError(f"{text!r}: a pool is scaled by at most {MAX_FACTOR:g}")
            return cls(pool, factor=float(amount))
        if "." in amount:
            raise StaffingError(f"{text!r}: agents are added or removed in whole numbers")
        if int(amount) > MAX_ADDED:
            raise StaffingError(f"{text!r}: at most {MAX_ADDED} agents added or removed")
        return cls(pool, add=int(amount) * (1 if op == "+" else -1))

    def __str__(self) -> str:
        if self.factor is not None:
            return f"{self.pool}:*{self.factor:g}"
        return f"{self.pool}:{self.add:+d}"


def staffed(
    agents: tuple[AgentDay, ...], changes: tuple[StaffingChange, ...]
) -> tuple[AgentDay, ...]:
    """The day's agents after ``changes``, applied in order. However the changes add up, a
    pool ends with at most ``MAX_FACTOR`` times its recorded agents or ``MAX_ADDED`` more
    than them, whichever is more: checked before an agent is copied, so no request can
    make the day grow without bound (twenty ``*10`` changes would be 10^20 agents)."""
    result = list(agents)
    for change in changes:
        members = sorted((a for a in result if change.pool in a.pools), key=lambda a: a.id)
        if not members:
            raise StaffingError(f"no agent of pool {change.pool!r} to copy or remove")
        wanted = change.add
        if change.factor is not None:
            wanted = math.floor(len(members) * change.factor + 0.5) - len(members)
        recorded = sum(1 for a in agents if change.pool in a.pools)
        most = max(math.floor(recorded * MAX_FACTOR), recorded + MAX_ADDED)
        if len(members) + wanted > most:
            raise StaffingError(
                f"{change}: pool {change.pool!r} would have {len(members) + wanted} agents;"
                f" at most {most} ({MAX_FACTOR:g} times its {recorded} recorded, or"
                f" {MAX_ADDED} more)"
            )
        if wanted < 0:
            gone = {a.id for a in members[wanted:]}
            result = [a for a in result if a.id not in gone]
        for number in range(wanted):
            model = members[number % len(members)]
            result.append(replace(model, id=f"{model.id}+{number + 1}"))
    return tuple(result)
