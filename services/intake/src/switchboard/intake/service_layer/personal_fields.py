"""The personal fields of intake's events, sealed under their customer's data key before
they are published: only a holder of the key reads them (intake, and the services it hands
the key to over its API), and nobody once the customer is erased and the key destroyed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.contracts.base import Event
from switchboard.contracts.events import CaseOpened, CaseReopened, ContactReceived, ReplyPosted
from switchboard.contracts.events.cases import CaseEvent
from switchboard.contracts.events.common import Sealed
from switchboard.intake.adapters.customer_keys import keys_for
from switchboard.servicekit.sealing import seal

PERSONAL: Mapping[type[Event], tuple[str, ...]] = {
    CaseOpened: ("subject", "summary", "thread_ref"),
    ContactReceived: ("text", "provider_message_id", "thread_ref"),
    CaseReopened: ("note",),
    ReplyPosted: ("subject", "text"),
}
"""Each event type's personal fields (names, addresses and numbers are in none of them:
the events carry the customer's id)."""


async def sealed(session: AsyncSession, events: Sequence[Event]) -> list[Event]:
    """``events`` with their personal fields sealed, in order."""
    personal = {id(e): e for e in events if isinstance(e, CaseEvent) and _personal_fields(e)}
    keys = await keys_for(session, [event.customer_id for event in personal.values()])
    return [
        _sealed(case_event, keys[case_event.customer_id])
        if (case_event := personal.get(id(event))) is not None
        else event
        for event in events
    ]


def _personal_fields(event: Event) -> dict[str, Any]:
    names = PERSONAL.get(type(event), ())
    return {name: getattr(event, name) for name in names if getattr(event, name)}


def _sealed(event: CaseEvent, key: bytes) -> Event:
    fields = _personal_fields(event)
    parts = seal(fields, key_id=event.customer_id, key=key)
    blank = {
        name: "" if isinstance(value, str) and name == "text" else None
        for name, value in fields.items()
    }
    return event.model_copy(
        update={
            **blank,
            "sealed": Sealed(key_id=parts.key_id, nonce=parts.nonce, ciphertext=parts.ciphertext),
        }
    )
