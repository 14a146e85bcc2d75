"""The routing policy document: stored once for every replica, in force here at once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from switchboard.routing.adapters.orm import PolicyDocumentRow
from switchboard.routing.domain.policy import PolicySet, policy_set_from_data
from switchboard.routing.service_layer.unit_of_work import RoutingDeps, RoutingUnitOfWork
from switchboard.servicekit.db import utcnow
from switchboard.servicekit.unit_of_work import UnitsOfWork


async def replace_policies(*, uow: RoutingUnitOfWork, document: Mapping[str, Any]) -> PolicySet:
    """Validate and store the document (a PolicyError says where it is wrong); this replica
    files cases by it once it is committed, the others from their next sync."""
    policies = policy_set_from_data(document)
    session = uow.session
    row = await session.get(PolicyDocumentRow, 1, with_for_update=True)
    if row is None:
        row = PolicyDocumentRow(id=1, document=dict(document), revision=0, updated_at=utcnow())
        session.add(row)
    row.document, row.updated_at = dict(document), utcnow()
    in_force = uow.deps.policies

    def put_in_force() -> None:
        in_force.current = policies

    uow.after_commit(put_in_force)
    return policies


async def store_policy_file(deps: RoutingDeps) -> None:
    """A start step: the document the replica was started with becomes the stored one."""
    if deps.policy_file is None:
        return
    try:
        async with UnitsOfWork(deps.sessions, deps).begin() as uow:
            await replace_policies(uow=uow, document=deps.policy_file)
    except IntegrityError:
        # Replicas started together: another stored the first document while this one
        # found none. The row exists now; this replica's document replaces it (locked).
        async with UnitsOfWork(deps.sessions, deps).begin() as uow:
            await replace_policies(uow=uow, document=deps.policy_file)
