"""Reading the personal fields intake sealed in its events (``Sealed``): opened with the
customer's data key from intake; an erased customer's key is gone and so are the fields.
And sealing the free texts escalation publishes that may quote a customer (a raise's reason,
a coordinator's note) under that key (``servicekit.sealed_texts``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from switchboard.contracts.events import ContactReceived
from switchboard.contracts.events.common import Sealed
from switchboard.escalation.service_layer.unit_of_work import EscalationUnitOfWork
from switchboard.servicekit.sealed_texts import seal_text
from switchboard.servicekit.sealing import SealedFields, Unreadable, open_sealed


@dataclass(frozen=True)
class EventText:
    plain: str | None
    sealed: Sealed | None


async def sealed_text(
    uow: EscalationUnitOfWork, *, customer_id: str | None, field: str, text: str | None
) -> EventText:
    """``text`` as ``field`` sealed under the customer's key for an event: none without a
    text, plain without intake configured, withheld for a customer unknown or erased; intake
    not answering raises ``DependencyUnavailable`` (503, or the consumer retries)."""
    made = await seal_text(uow.deps.personal_keys, key_id=customer_id, field=field, text=text)
    return EventText(made.plain, Sealed(**asdict(made.sealed)) if made.sealed else None)


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
