"""Pool ownership by rendezvous hashing: one owner per pool, and little moves on change."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from switchboard.routing.domain.ownership import PoolOwnership, owner_of

names = st.text(alphabet="abcdefghij-0123456789", min_size=1, max_size=12)
POOLS = [f"region-{n}" for n in range(60)] + [f"nordics/dept-{n}" for n in range(40)]


@given(st.frozensets(names, min_size=1, max_size=6))
def test_every_pool_has_exactly_one_owner_among_the_live_replicas(replicas):
    for pool in POOLS:
        owners = [r for r in replicas if PoolOwnership(me=r, replicas=replicas).owns(pool)]
        assert owners == [owner_of(pool, replicas)]


@given(st.frozensets(names, min_size=2, max_size=6), st.data())
def test_a_leaving_replica_moves_only_the_pools_it_held(replicas, data):
    leaving = data.draw(st.sampled_from(sorted(replicas)))
    remaining = replicas - {leaving}
    for pool in POOLS:
        before = owner_of(pool, replicas)
        if before != leaving:
            assert owner_of(pool, remaining) == before


def test_pools_spread_over_replicas_and_an_unsharded_replica_owns_all():
    replicas = frozenset({"routing-a", "routing-b", "routing-c"})
    held = {r: sum(PoolOwnership(me=r, replicas=replicas).owns(p) for p in POOLS) for r in replicas}
    assert sum(held.values()) == len(POOLS)
    assert all(15 <= count <= 55 for count in held.values()), held
    alone = PoolOwnership(me="routing-a", replicas=replicas, sharded=False)
    assert all(alone.owns(pool) for pool in POOLS)
    assert all(PoolOwnership(me="routing-a", replicas=frozenset()).owns(p) for p in POOLS)
