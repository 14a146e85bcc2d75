"""Reading the personal fields intake sealed in its events (``Sealed``): opened with the
customer's data key from intake; an erased customer's key is gone and so are the fields."""

from __future__ import annotations

from switchboard.contracts.events import ContactReceived
from switchboard.escalation.service_layer.unit_of_work import EscalationUnitOfWork
from switchboard.servicekit.sealing import SealedFields, Unreadable, open_sealed


async def contact_text(uow: EscalationUnitOfWork, contact: ContactReceived) -> str:
    """The contact's text: plain, or opened; empty when it cannot be opened any more."""
    keys, sealed = uow.deps.personal_keys, contact.sealed
    if sealed is None or keys is None:
        return contact.text
    key = await keys.key(sealed.key_id)
    if key is None:
        return ""
    try:
        fields = open_sealed(SealedFields(**sealed.model_dump()), key=key)
    except Unreadable:
        return ""
    text = fields.get("text", "")
    return text if isinstance(text, str) else ""
