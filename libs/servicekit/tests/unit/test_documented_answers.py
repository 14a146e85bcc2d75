"""The OpenAPI document names every answer: problems derived from what a route depends on,
takes and is limited by, and declared where only the route knows; undeclared query
parameters refused."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from switchboard.servicekit.http import (
    RateLimitRule,
    create_app,
    path_prefix,
    problems,
    takes_any_query,
)
from switchboard.servicekit.json_types import JSON_NUMBER
from switchboard.servicekit.service.dependencies import PrincipalDep, SessionDep

router = APIRouter(prefix="/v1")
open_router = APIRouter(prefix="/hooks", dependencies=[Depends(takes_any_query)])


class Note(BaseModel):
    text: str


@router.post("/cases/{case_id}/notes", responses=problems(reasons={409: "The case is closed"}))
async def add_note(case_id: str, note: Note, who: PrincipalDep, session: SessionDep) -> Note:
    return note


@router.get("/cases")
async def list_cases(limit: int = 10) -> dict[str, int]:
    return {"limit": limit}


@open_router.get("/signed")
async def signed() -> dict[str, str]:
    return {}


def document() -> dict[str, Any]:
    rule = RateLimitRule("5/second", key=path_prefix("/v1/cases/"))
    app = create_app(title="t", version="1", runtime=None, routers=[router], rate_limits=[rule])
    return app.openapi()


def test_an_operation_documents_what_its_dependencies_input_and_limits_can_answer():
    answers = document()["paths"]["/v1/cases/{case_id}/notes"]["post"]["responses"]
    assert set(answers) == {"200", "400", "401", "403", "404", "409", "413", "422", "429", "503"}
    assert answers["409"]["description"] == "The case is closed"
    for status, answer in answers.items():
        if status != "200":
            assert answer["content"] == {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            }
    assert "Retry-After" in answers["503"]["headers"]
    assert "Retry-After" in answers["429"]["headers"]


def test_an_operation_without_input_or_dependencies_documents_no_problem_it_cannot_give():
    answers = document()["paths"]["/v1/cases"]["get"]["responses"]
    # 422: its limit, or a query it does not declare; no 429: the rule counts /v1/cases/ only
    assert set(answers) == {"200", "422"}


def client() -> httpx.AsyncClient:
    app = create_app(title="t", version="1", runtime=None, routers=[router, open_router])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_a_query_parameter_the_operation_does_not_declare_is_refused():
    async with client() as http:
        declared = await http.get("/v1/cases", params={"limit": 3})
        misspelt = await http.get("/v1/cases", params={"limt": 3})
        anything = await http.get("/hooks/signed", params={"bodySHA256": "x"})
    assert declared.json() == {"limit": 3}
    assert misspelt.status_code == 422
    assert misspelt.headers["content-type"] == "application/problem+json"
    assert misspelt.json()["errors"] == [
        {"field": "limt", "in": "query", "message": "unknown parameter", "type": "extra"}
    ]
    assert anything.status_code == 200


def test_a_json_number_is_no_boolean_and_no_string_but_may_be_written_with_a_fraction():
    slots = TypeAdapter(Annotated[int, Field(ge=0, le=50), JSON_NUMBER])
    assert slots.validate_python(5) == slots.validate_python(5.0) == 5
    for refused in (False, True, "5", 51, 5.5):
        try:
            slots.validate_python(refused)
        except ValidationError:
            continue
        raise AssertionError(f"{refused!r} was taken")
    assert slots.json_schema() == {"type": "integer", "minimum": 0, "maximum": 50}
