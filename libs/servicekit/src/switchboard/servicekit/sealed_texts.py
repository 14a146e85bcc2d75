"""A free text a person wrote about a customer's case (a resolution note, a transfer or
decline reason, a coordinator's note) on its way into an event: sealed under the
customer's data key (``sealing``, the key from ``personal_keys``), since the topic keeps it
for good and it may quote the customer; the erasure destroys the key.

Without a text nothing is asked; without a key holder configured the text goes plain; a
customer whose key is gone (erased) or unknown gets no text at all; a key holder that does
not answer is a sick dependency (``DependencyUnavailable``: a request answers 503, a
consumer retries), so nothing goes out plain by accident."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.servicekit.personal_keys import PersonalKeys
from switchboard.servicekit.sealing import SealedFields, seal


@dataclass(frozen=True)
class FreeText:
    plain: str | None
    """What goes in the event's plain field: the text only when it is not sealed."""
    sealed: SealedFields | None


async def seal_text(
    keys: PersonalKeys | None, *, key_id: str | None, field: str, text: str | None
) -> FreeText:
    """``text`` as ``{field: text}`` sealed under ``key_id``'s key (see the module)."""
    if not text:
        return FreeText(None, None)
    if keys is None:
        return FreeText(text, None)
    key = await keys.key(key_id) if key_id else None
    if key is None or key_id is None:
        return FreeText(None, None)
    return FreeText(None, seal({field: text}, key_id=key_id, key=key))
