"""Which envelope recipients intake's own mail receiver takes: whole domains (``acme.test``)
or single addresses (``support@acme.test``). Any other recipient is refused, so the
receiver never relays mail elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.intake.domain.identity import InvalidIdentity, normalise_email


def _domain(entry: str) -> str:
    """A configured domain as addresses at it normalise (lower case, IDNA)."""
    return normalise_email(f"postmaster@{entry.strip().lstrip('@')}").partition("@")[2]


@dataclass(frozen=True)
class MailRecipients:
    domains: frozenset[str]
    addresses: frozenset[str]

    @classmethod
    def of(cls, entries: list[str] | tuple[str, ...]) -> MailRecipients:
        """``entries``: a domain or an address each; case does not matter. An entry that is
        neither raises ``InvalidIdentity``."""
        entries = [entry.strip().strip("<>") for entry in entries if entry.strip()]
        return cls(
            domains=frozenset(_domain(entry) for entry in entries if "@" not in entry[1:]),
            addresses=frozenset(normalise_email(entry) for entry in entries if "@" in entry[1:]),
        )

    def accepts(self, address: str) -> bool:
        try:
            address = normalise_email(address)
        except InvalidIdentity:
            return False
        return address in self.addresses or address.partition("@")[2] in self.domains
