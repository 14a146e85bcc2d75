"""What the conversation and customer-record tests share: intake's app over ASGI, tokens for
each role, adapters of the nordics region, signed posts. Routing's assignment event is in
../builders.py."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from switchboard.intake.domain.signatures import sign


def bearer(intake, subject: str, role: str, regions=()) -> dict[str, str]:
    token = intake.service.tokens.issue(
        subject=subject, role=role, regions=regions, ttl=timedelta(minutes=5)
    )
    return {"Authorization": f"Bearer {token}"}


async def adapter(app, admin, channel: str) -> dict:
    spec = {"id": f"{channel}-nordics", "channel": channel, "region": "nordics"}
    registered = await app.post("/v1/admin/adapters", json=spec, headers=admin)
    assert registered.status_code == 201, registered.text
    return registered.json()


async def post(app, adapter: dict, body: dict) -> dict:
    """A contact, signed as the adapter signs it; its 202 answer."""
    path = f"/v1/adapters/{adapter['id']}/contacts/{adapter['channel']}"
    answer = await sign_and_post(app, adapter, path, body)
    assert answer.status_code == 202, answer.text
    return answer.json()


async def sign_and_post(app, adapter: dict, path: str, body: dict) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = sign(
        secret=adapter["secret"], webhook_id=uuid.uuid4().hex, body=raw, at=datetime.now(UTC)
    )
    return await app.post(
        path, content=raw, headers={"content-type": "application/json", **headers}
    )
