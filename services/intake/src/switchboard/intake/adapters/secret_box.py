"""Adapter secrets at rest, sealed with Fernet (AES-128-CBC and HMAC-SHA256, from the
``cryptography`` library) under the operator's keys. Verifying a signature needs the secret
itself, so it is encrypted rather than hashed: a copy of the database alone gives nobody
the power to post contacts.

The keys setting holds one or more Fernet keys, comma-separated. The first seals, all of
them open: to rotate, put a new key first; at start intake re-seals every stored secret
under the first key (and seals secrets an older version stored in plain text), after which
the old key can go.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

SEALED = "fernet:"
"""Prefix of a sealed value; anything else in the column is a legacy plain-text secret."""


class SecretBoxError(ValueError):
    """A key that is no Fernet key, or a stored secret none of the keys opens."""


def new_key() -> str:
    return Fernet.generate_key().decode()


def dev_key(label: str) -> str:
    """A fixed, clearly non-secret key for local runs (refused in production)."""
    raw = f"dev-only-{label}".encode().ljust(32, b"-")[:32]
    return base64.urlsafe_b64encode(raw).decode()


class SecretBox:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise SecretBoxError("at least one adapter secret key is needed")
        fernets = []
        for number, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.strip().encode()))
            except (ValueError, TypeError) as error:
                raise SecretBoxError(
                    f"adapter secret key #{number} is not a Fernet key "
                    "(32 url-safe base64-encoded bytes)"
                ) from error
        self._primary = fernets[0]
        self._all = MultiFernet(fernets)

    @classmethod
    def from_setting(cls, text: str) -> SecretBox:
        return cls([part for part in text.split(",") if part.strip()])

    def seal(self, secret: str) -> str:
        return SEALED + self._all.encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        if not stored.startswith(SEALED):
            raise SecretBoxError("an adapter secret is stored unsealed; restart intake to seal it")
        try:
            return self._all.decrypt(stored[len(SEALED) :].encode()).decode()
        except InvalidToken as error:
            raise SecretBoxError(
                "no configured adapter secret key opens a stored secret "
                "(was the key that sealed it removed?)"
            ) from error

    def needs_resealing(self, stored: str) -> bool:
        if not stored.startswith(SEALED):
            return True
        try:
            self._primary.decrypt(stored[len(SEALED) :].encode())
        except InvalidToken:
            return True
        return False

    def reseal(self, stored: str) -> str:
        """``stored`` under the first key; plain text (a legacy row) is sealed."""
        if not stored.startswith(SEALED):
            return self.seal(stored)
        return self.seal(self.open(stored))
