"""What an admin sets on a customer (VIP, tier, home region): it shapes their next cases."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.intake.adapters.orm import CustomerRow


class UnknownCustomer(LookupError):
    pass


async def change_customer(
    *, session: AsyncSession, customer_id: str, changes: Mapping[str, object]
) -> CustomerRow:
    customer = await session.get(CustomerRow, customer_id, with_for_update=True)
    if customer is None:
        raise UnknownCustomer(customer_id)
    for name, value in changes.items():
        setattr(customer, name, value)
    return customer
