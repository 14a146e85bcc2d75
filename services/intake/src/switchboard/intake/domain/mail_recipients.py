"""Which envelope recipients intake's own mail receiver takes: whole domains (``acme.test``)
or single addresses (``support@acme.test``). Any other recipient is refused, so the
receiver never relays mail elsewhere."""

from __future__ import annotations

from dataclasses import dataclass


def _normalised(address: str) -> str:
    return address.strip().strip("<>").lower()


@dataclass(frozen=True)
class MailRecipients:
    domains: frozenset[str]
    addresses: frozenset[str]

    @classmethod
    def of(cls, entries: list[str] | tuple[str, ...]) -> MailRecipients:
        """``entries``: a domain or an address each; case does not matter."""
        normalised = [_normalised(entry) for entry in entries if entry.strip()]
        return cls(
            domains=frozenset(entry.lstrip("@") for entry in normalised if "@" not in entry[1:]),
            addresses=frozenset(entry for entry in normalised if "@" in entry[1:]),
        )

    def accepts(self, address: str) -> bool:
        address = _normalised(address)
        local, at, domain = address.rpartition("@")
        if not at or not local or not domain:
            return False
        return address in self.addresses or domain in self.domains
