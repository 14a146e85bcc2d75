"""Sealed personal fields: only their key opens them, under their own key id, unaltered; a
key holder asked over HTTP, its answers cached, a destroyed key gone within the cache's
time, an unreachable holder a sick dependency."""

import asyncio
import base64
import dataclasses

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.faults import DependencyUnavailable, is_transient
from switchboard.servicekit.personal_keys import PersonalKeys
from switchboard.servicekit.sealing import Unreadable, new_data_key, open_sealed, seal
from switchboard.servicekit.testing.receiver import serving

FIELDS = {"text": "Ring mig på 070-123 45 67", "thread_ref": "chat:s-1"}


def test_the_key_opens_what_it_sealed_and_nothing_else_does():
    key = new_data_key()
    sealed = seal(FIELDS, key_id="c1", key=key)
    assert "070-123" not in sealed.ciphertext
    assert open_sealed(sealed, key=key) == FIELDS
    with pytest.raises(Unreadable):
        open_sealed(sealed, key=new_data_key())
    with pytest.raises(Unreadable, match="'c2'"):
        open_sealed(dataclasses.replace(sealed, key_id="c2"), key=key)
    flipped = base64.b64decode(sealed.ciphertext)
    flipped = bytes([flipped[0] ^ 1]) + flipped[1:]
    altered = dataclasses.replace(sealed, ciphertext=base64.b64encode(flipped).decode())
    with pytest.raises(Unreadable):
        open_sealed(altered, key=key)


def test_each_seal_has_its_own_nonce():
    key = new_data_key()
    first, second = seal(FIELDS, key_id="c1", key=key), seal(FIELDS, key_id="c1", key=key)
    assert first.nonce != second.nonce
    assert first.ciphertext != second.ciphertext


def key_holder(keys: dict[str, bytes], asked: list[str]) -> FastAPI:
    app = FastAPI()

    @app.get("/keys/{key_id}")
    async def key(key_id: str, request: Request) -> JSONResponse:
        asked.append(request.headers["authorization"])
        if key_id not in keys:
            return JSONResponse({"detail": "erased"}, status_code=410)
        return JSONResponse({"key": base64.b64encode(keys[key_id]).decode()})

    return app


async def test_keys_come_from_their_holder_and_a_destroyed_one_is_forgotten():
    keys, asked = {"c1": new_data_key()}, []
    port = free_port()
    tokens = iter(range(100))
    client = PersonalKeys(
        url=f"http://127.0.0.1:{port}/keys/{{key_id}}", token=lambda: f"t{next(tokens)}", ttl=3
    )
    async with serving(key_holder(keys, asked), port):
        assert await client.key("c1") == keys["c1"]
        assert await client.key("c1") == keys["c1"]
        assert asked == ["Bearer t0"], "the second answer came from the cache"
        del keys["c1"]
        assert await client.key("c1") is not None, "still cached"
        await asyncio.sleep(3.1)
        assert await client.key("c1") is None
        assert await client.key("unknown") is None
    with pytest.raises(DependencyUnavailable) as raised:
        await client.key("c3")
    assert is_transient(raised.value)
    await client.close()


async def test_expired_keys_leave_the_cache():
    keys = {f"c{n}": new_data_key() for n in range(50)}
    port = free_port()
    client = PersonalKeys(
        url=f"http://127.0.0.1:{port}/keys/{{key_id}}", token=lambda: "t", ttl=0.5
    )
    async with serving(key_holder(keys, []), port):
        for key_id in keys:
            await client.key(key_id)
        assert len(client._cache) == 50
        await asyncio.sleep(0.6)
        await client.key("c0")
    assert list(client._cache) == ["c0"], "the destroyed-or-not keys of the others are gone"
    await client.close()


async def test_a_holder_answering_an_error_is_a_sick_dependency():
    app = FastAPI()

    @app.get("/keys/{key_id}")
    async def broken(key_id: str) -> JSONResponse:
        return JSONResponse({"detail": "database down"}, status_code=503)

    client = PersonalKeys(
        url="http://holder.test/keys/{key_id}",
        token=lambda: "t",
        transport=httpx.ASGITransport(app=app),
    )
    with pytest.raises(DependencyUnavailable, match="503"):
        await client.key("c1")
    await client.close()


async def test_a_key_id_stays_one_path_segment_and_a_garbled_key_is_a_sick_dependency():
    app, paths = FastAPI(), []

    @app.get("/keys/{key_id:path}")
    async def garbled(key_id: str, request: Request) -> JSONResponse:
        paths.append((request.scope["raw_path"].decode(), request.url.query))
        return JSONResponse({"key": "not base64 at all!"})

    client = PersonalKeys(
        url="http://holder.test/keys/{key_id}",
        token=lambda: "t",
        transport=httpx.ASGITransport(app=app),
    )
    with pytest.raises(DependencyUnavailable, match="unreadable"):
        await client.key("../admin/adapters?x=1")
    assert paths == [("/keys/..%2Fadmin%2Fadapters%3Fx%3D1", "")]
    await client.close()
