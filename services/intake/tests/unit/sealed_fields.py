"""Opening the personal fields intake sealed in an event, with the customer's key from
intake's own database (as a service holding the key would)."""

from switchboard.intake.adapters.customer_keys import key_of
from switchboard.servicekit.sealing import SealedFields, open_sealed


async def unsealed(intake, event):
    """``event`` with its sealed fields back in place."""
    if event.sealed is None:
        return event
    async with intake.service.transaction() as uow:
        key = await key_of(uow.session, event.sealed.key_id)
    fields = open_sealed(SealedFields(**event.sealed.model_dump()), key=key)
    return event.model_copy(update={**fields, "sealed": None})
