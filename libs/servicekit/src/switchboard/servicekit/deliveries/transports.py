"""Deliveries that go by a transport of the recipient's own rather than an HTTP request (a
mail server over SMTP, say): the owner gives a ``send`` that takes the queued body and says
what the other side answered. Its code and answer are kept as an HTTP answer's would be;
a refusal the other side will give again ends the delivery at once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Transported:
    """What one attempt over the transport got."""

    ok: bool
    code: int | None = None
    """The other side's reply code (an SMTP reply's 250, 451, 550…), if it gave one."""
    answer: bytes = b""
    """What it said (kept with the attempt, and given to the owner when it settles)."""
    final: bool = False
    """A refusal that the same request would get again: no more attempts."""
    error: str | None = None
    """Why it was not taken, for the delivery log (never holding a credential)."""


@dataclass(frozen=True)
class TransportEndpoint:
    name: str
    """What the delivery log calls it (``smtp``, say)."""
    send: Callable[[str], Awaitable[Transported]] = field(repr=False)
    """Sends the queued body. An exception it raises counts as a passing failure, logged by
    its kind only (its text may hold an address with a credential)."""
