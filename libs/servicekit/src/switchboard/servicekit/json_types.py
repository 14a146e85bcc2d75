"""Numbers as JSON Schema reads them: pydantic's lax mode takes ``true`` for 1 and ``"5"``
for 5, which a schema's ``integer`` or ``number`` forbids; its strict mode refuses ``5.0``,
which ``integer`` allows. ``JSON_NUMBER`` takes what the schema allows and nothing else."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator


def _json_number(value: Any) -> Any:
    if isinstance(value, bool | str | bytes):
        raise ValueError("must be a JSON number")
    return value


JSON_NUMBER = BeforeValidator(_json_number)
"""After the constraints, so that they still show in the schema:
``Annotated[int, Field(ge=1), JSON_NUMBER]``."""
JsonInteger = Annotated[int, JSON_NUMBER]
"""A number without a fraction (``5`` or ``5.0``); never a boolean or a string."""
JsonNumber = Annotated[float, JSON_NUMBER]
"""Any number; never a boolean or a string."""
