"""The free texts an agent writes about a case — a resolution note, a transfer or decline
reason — go on the assignments topic sealed under the case's customer's data key from
intake (``servicekit.sealed_texts``): the topic keeps them for good and they may quote the
customer; the erasure destroys the key. Intake not answering refuses the request (503)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import select

from switchboard.contracts.events.common import Sealed
from switchboard.routing.adapters.orm import CaseRow
from switchboard.routing.service_layer.unit_of_work import RoutingUnitOfWork
from switchboard.servicekit.sealed_texts import seal_text


@dataclass(frozen=True)
class CaseText:
    plain: str | None
    sealed: Sealed | None


async def sealed_case_text(
    uow: RoutingUnitOfWork, *, case_id: str, field: str, text: str | None
) -> CaseText:
    """``text`` for an event about ``case_id``, as ``field`` sealed under its customer's
    key. Asked before the use case locks its rows: intake is not waited for under a lock."""
    keys = uow.deps.personal_keys
    customer_id = None
    if text and keys is not None:
        found = select(CaseRow.customer_id).where(CaseRow.case_id == case_id)
        customer_id = await uow.session.scalar(found)
    made = await seal_text(keys, key_id=customer_id, field=field, text=text)
    return CaseText(made.plain, Sealed(**asdict(made.sealed)) if made.sealed else None)
