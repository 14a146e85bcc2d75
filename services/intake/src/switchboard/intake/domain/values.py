"""Small value types shared by the intake domain modules."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    CHAT = "chat"
    SOCIAL = "social"


class Priority(IntEnum):
    """1 is the most urgent, as on the wire; a lower number sorts first."""

    URGENT = 1
    HIGH = 2
    NORMAL = 3
    LOW = 4
