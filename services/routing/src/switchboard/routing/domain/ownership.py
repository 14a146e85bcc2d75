"""Which replica indexes which pool: rendezvous hashing over the live replicas.

Every replica computes the same answer from the same set of names, and when a replica
joins or leaves only the pools it wins or held move. Ownership is an optimisation, not a
lock: during a hand-over two replicas may both index a pool for a moment, and the
database's compare-and-set still lets only one offer through.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass


def _score(pool: str, replica: str) -> int:
    digest = hashlib.blake2b(f"{pool}\x00{replica}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def owner_of(pool: str, replicas: Iterable[str]) -> str:
    """The replica that indexes ``pool`` (the highest score; names break ties)."""
    return max(replicas, key=lambda replica: (_score(pool, replica), replica))


@dataclass(frozen=True)
class PoolOwnership:
    """This replica (``me``) among the live ``replicas``; without sharding it owns all."""

    me: str
    replicas: frozenset[str]
    sharded: bool = True

    def owns(self, pool: str) -> bool:
        if not self.sharded or not self.replicas:
            return True
        return owner_of(pool, self.replicas | {self.me}) == self.me
