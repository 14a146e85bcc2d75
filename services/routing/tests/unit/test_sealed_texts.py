"""Agents' free texts on the assignments topic (a resolution note, a transfer and a decline
reason) go out sealed under the case's customer's key from intake: plain fields empty,
opened with that key; an erased customer's text is withheld; an empty one asks for no key;
intake not answering refuses the action and changes nothing (the API answers 503)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from switchboard.contracts.events import CaseResolved, CaseTransferred, OfferDeclined
from switchboard.contracts.events.common import Sealed
from switchboard.routing.bootstrap import DEFINITION
from switchboard.routing.service_layer import transfers, work
from switchboard.routing.service_layer.offers import answers
from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.faults import DependencyUnavailable
from switchboard.servicekit.sealing import SealedFields, new_data_key, open_sealed
from switchboard.servicekit.testing.in_process import InProcessService
from switchboard.servicekit.testing.receiver import serving

from .conftest import Clock, Desk

QUOTE = "Kunden Åsa Lindqvist, 070-123 45 67, vill ha pengarna tillbaka"


@dataclass
class KeyHolder:
    keys: dict[str, bytes] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/v1/personal-keys/{key_id}")
        async def key(key_id: str) -> JSONResponse:
            self.asked.append(key_id)
            if key_id not in self.keys:
                return JSONResponse({"detail": "erased"}, status_code=410)
            return JSONResponse({"key": base64.b64encode(self.keys[key_id]).decode()})

        return app


@pytest.fixture
async def holder() -> AsyncIterator[tuple[KeyHolder, int]]:
    found, port = KeyHolder(), free_port()
    async with serving(found.app(), port):
        yield found, port


@pytest.fixture
async def sealing_desk(tmp_path, clock: Clock, holder) -> AsyncIterator[Desk]:
    _, port = holder
    service = await InProcessService.start(
        DEFINITION,
        tmp_path,
        replica_name="routing-test",
        environment="test",
        intake_url=f"http://127.0.0.1:{port}",
    )
    desk = Desk(service, clock)
    desk.loop.clock = clock
    yield desk
    await service.close()


def opened(sealed: Sealed | None, key: bytes) -> dict[str, str]:
    assert sealed is not None
    return open_sealed(SealedFields(**sealed.model_dump()), key=key)


async def assigned(desk: Desk, case_id: str, agent_id: str) -> None:
    await desk.open_case(case_id)
    await desk.cycle()
    await desk.do(answers.accept_offer, case_id=case_id, agent_id=agent_id)


async def test_notes_and_reasons_go_out_sealed_under_the_customers_key(sealing_desk, holder):
    desk, (keys, _) = sealing_desk, holder
    keys.keys = {f"customer-c{n}": new_data_key() for n in (1, 2, 3)}
    await desk.hire("a")
    await desk.cycle()
    await desk.open_case("c1")
    await desk.cycle()

    await desk.do(answers.decline_offer, case_id="c1", agent_id="a", reason=QUOTE)
    await assigned(desk, "c2", "a")
    await desk.do(transfers.transfer_case, case_id="c2", agent_id="a", region="dach", note=QUOTE)
    await assigned(desk, "c3", "a")
    await desk.do(
        work.resolve_case, case_id="c3", agent_id="a", resolution_code="refunded", note=QUOTE
    )

    [declined] = await desk.service.published(OfferDeclined)
    [transferred] = await desk.service.published(CaseTransferred)
    [resolved] = await desk.service.published(CaseResolved)
    assert (declined.reason, transferred.reason, resolved.note) == (None, None, None)
    assert opened(declined.sealed, keys.keys["customer-c1"]) == {"reason": QUOTE}
    assert opened(transferred.sealed, keys.keys["customer-c2"]) == {"reason": QUOTE}
    assert opened(resolved.sealed, keys.keys["customer-c3"]) == {"note": QUOTE}
    assert resolved.sealed is not None
    assert resolved.sealed.key_id == "customer-c3"
    for event in (declined, transferred, resolved):
        assert "Lindqvist" not in event.model_dump_json()


async def test_an_erased_customers_text_is_withheld_and_no_text_asks_for_no_key(
    sealing_desk, holder
):
    desk, (keys, _) = sealing_desk, holder
    await desk.hire("a")
    await desk.cycle()
    await assigned(desk, "c1", "a")
    await assigned(desk, "c2", "a")

    await desk.do(work.resolve_case, case_id="c1", agent_id="a", resolution_code="x", note="")
    assert keys.asked == [], "no text, no key"
    await desk.do(work.resolve_case, case_id="c2", agent_id="a", resolution_code="x", note=QUOTE)

    first, second = await desk.service.published(CaseResolved)
    assert (first.note, first.sealed) == (None, None)
    assert (second.note, second.sealed) == (None, None), "the key is gone (410): no text"
    assert keys.asked == ["customer-c2"]


async def test_intake_not_answering_refuses_the_resolution_and_changes_nothing(
    tmp_path, clock: Clock
):
    service = await InProcessService.start(
        DEFINITION,
        tmp_path,
        replica_name="routing-test",
        environment="test",
        intake_url=f"http://127.0.0.1:{free_port()}",
    )
    desk = Desk(service, clock)
    desk.loop.clock = clock
    try:
        await desk.hire("a")
        await desk.cycle()
        await assigned(desk, "c1", "a")
        await desk.service.published()

        with pytest.raises(DependencyUnavailable):
            await desk.do(
                work.resolve_case, case_id="c1", agent_id="a", resolution_code="x", note=QUOTE
            )

        assert (await desk.case("c1")).state == "assigned"
        assert await desk.service.published(CaseResolved) == []
    finally:
        await service.close()
