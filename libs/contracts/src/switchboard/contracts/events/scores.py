"""Survey questions and score ranges (CSAT 1 to 5, NPS 0 to 10, CES 1 to 7)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

Csat = Annotated[int, Field(ge=1, le=5)]
Nps = Annotated[int, Field(ge=0, le=10)]
Ces = Annotated[int, Field(ge=1, le=7)]
Reasons = Annotated[
    tuple[Annotated[str, Field(min_length=1, max_length=64)], ...], Field(max_length=20)
]


class Question(StrEnum):
    CSAT = "csat"
    NPS = "nps"
    CES = "ces"
