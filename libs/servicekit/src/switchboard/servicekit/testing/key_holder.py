"""Intake's data-key endpoint as a test needs it, behind the real key client
(``PersonalKeys``) on an in-memory transport, or served over HTTP (``app``) for a service
running whole: a key per customer, made when first asked for; an erased customer's key
gone (410); ``down``, unreachable."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from fastapi import FastAPI, Request, Response

from switchboard.servicekit.personal_keys import PersonalKeys
from switchboard.servicekit.sealing import SealedFields, new_data_key, open_sealed

PATH = "/v1/personal-keys/"


class SealedValue(Protocol):
    """A contract's ``Sealed`` (servicekit knows no event model)."""

    def model_dump(self) -> dict[str, Any]: ...


@dataclass
class KeyHolder:
    keys: dict[str, bytes] = field(default_factory=dict)
    erased: set[str] = field(default_factory=set)
    asked: list[str] = field(default_factory=list)
    down: bool = False
    """Set: every request fails as an unreachable intake's would."""

    def client(self) -> PersonalKeys:
        return PersonalKeys(
            url=f"http://127.0.0.1:9{PATH}{{key_id}}",
            token=lambda: "test",
            ttl=0,
            transport=httpx.MockTransport(self._answer),
        )

    def app(self) -> FastAPI:
        """The endpoint as intake serves it: ``{app}/v1/personal-keys/{key_id}``."""
        app = FastAPI()

        @app.get(PATH + "{key_id}")
        async def key(key_id: str, request: Request) -> Response:
            answer = self._answer(httpx.Request("GET", str(request.url)))
            return Response(answer.content, answer.status_code, media_type="application/json")

        return app

    def open(self, sealed: SealedValue | None) -> dict[str, Any]:
        """The fields ``sealed`` holds (AssertionError when there is nothing sealed)."""
        assert sealed is not None, "nothing sealed"
        parts = SealedFields(**sealed.model_dump())
        return open_sealed(parts, key=self.keys[parts.key_id])

    def _answer(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("the key holder is down", request=request)
        key_id = request.url.path.removeprefix(PATH)
        self.asked.append(key_id)
        if key_id in self.erased:
            return httpx.Response(410, json={"detail": "erased"})
        key = self.keys.setdefault(key_id, new_data_key())
        return httpx.Response(200, json={"key": base64.b64encode(key).decode()})
