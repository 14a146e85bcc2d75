"""Sealing a record's personal fields under a per-subject data key (crypto-shredding):
AES-256-GCM over the fields' JSON, the key id as associated data. Whoever holds the key
reads them; once the key is destroyed nobody does, wherever copies went."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12


class Unreadable(ValueError):
    """Sealed with another key, or altered."""


@dataclass(frozen=True)
class SealedFields:
    key_id: str
    nonce: str
    """Base64."""
    ciphertext: str
    """Base64."""


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def seal(fields: Mapping[str, Any], *, key_id: str, key: bytes) -> SealedFields:
    nonce = os.urandom(NONCE_BYTES)
    plain = json.dumps(dict(fields), ensure_ascii=False, separators=(",", ":")).encode()
    ciphertext = AESGCM(key).encrypt(nonce, plain, key_id.encode())
    return SealedFields(key_id, _b64(nonce), _b64(ciphertext))


def open_sealed(sealed: SealedFields, *, key: bytes) -> dict[str, Any]:
    try:
        plain = AESGCM(key).decrypt(
            base64.b64decode(sealed.nonce),
            base64.b64decode(sealed.ciphertext),
            sealed.key_id.encode(),
        )
    except (InvalidTag, ValueError) as error:
        raise Unreadable(f"cannot open fields sealed under {sealed.key_id!r}") from error
    fields: dict[str, Any] = json.loads(plain)
    return fields


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
