"""Rate limits at the edge: 429 problem+json with Retry-After, counted per caller."""

from __future__ import annotations

import httpx
from fastapi import APIRouter

from switchboard.servicekit.http import (
    RateLimitRule,
    create_app,
    path_prefix,
    path_segment,
)

router = APIRouter()


@router.post("/v1/adapters/{adapter_id}/contacts")
async def contact(adapter_id: str) -> dict[str, str]:
    return {"adapter": adapter_id}


@router.get("/surveys/{token}")
async def survey(token: str) -> dict[str, str]:
    return {"token": token}


def client(*rules: RateLimitRule, address: str = "127.0.0.1") -> httpx.AsyncClient:
    app = create_app(title="t", version="1", runtime=None, routers=[router], rate_limits=rules)
    transport = httpx.ASGITransport(app=app, client=(address, 5000))
    return httpx.AsyncClient(transport=transport, base_url="http://edge.test")


async def test_a_caller_over_its_limit_gets_429_with_retry_after_and_others_do_not():
    rule = RateLimitRule("3/minute", key=path_prefix("/surveys/"))
    app = create_app(title="t", version="1", runtime=None, routers=[router], rate_limits=[rule])
    first = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 1)), base_url="http://t"
    )
    second = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("127.0.0.2", 1)), base_url="http://t"
    )
    async with first, second:
        statuses = [(await first.get(f"/surveys/t{n}")).status_code for n in range(3)]
        refused = await first.get("/surveys/t4")
        assert statuses == [200, 200, 200]
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        problem = refused.json()
        assert problem["status"] == 429
        assert "3 per 1 minute" in problem["detail"]
        assert "127.0.0.1" not in refused.text, "no caller address in the answer"
        assert (await second.get("/surveys/t5")).status_code == 200, "another caller"
        assert (await first.get("/healthz")).status_code == 200, "outside the prefix"


async def test_adapters_are_counted_each_on_its_own():
    rule = RateLimitRule("2/second", key=path_segment("/v1/adapters/", 3, label="adapter"))
    async with client(rule) as edge:
        chat = [(await edge.post("/v1/adapters/chat/contacts")).status_code for _ in range(3)]
        mail = [(await edge.post("/v1/adapters/mail/contacts")).status_code for _ in range(2)]
    assert chat == [200, 200, 429]
    assert mail == [200, 200]
