"""The OpenAPI document says every answer an operation can give: each error as
``application/problem+json`` with the ``Problem`` schema, and which statuses each operation
can really give, derived from what the route depends on, what it takes and which limits
apply to its path; what only the route knows it declares with ``problems(...)``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from http import HTTPStatus
from typing import Any, TypeVar

from fastapi import FastAPI, Request, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from switchboard.servicekit.http.problems import PROBLEM_JSON, Problem
from switchboard.servicekit.http.rate_limits import RateLimitRule

PROBLEM_REF = "#/components/schemas/Problem"
RETRY_AFTER = {
    "description": "Seconds to wait before trying again",
    "schema": {"type": "integer", "minimum": 1},
}
RETRYABLE = frozenset({429, 503})
"""The answers that carry ``Retry-After``."""

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; an answer may add members of its own.",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "errors": {
            "description": "Each invalid part of the request (422)",
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "in", "message", "type"],
                "properties": {
                    "field": {"type": "string"},
                    "in": {"type": "string"},
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}

DEFAULT_REASONS = {
    400: "The body cannot be read (not UTF-8, not the declared media type)",
    401: "No valid bearer token",
    403: "The token does not allow this (role, region or someone else's work)",
    404: "Nothing is known by that id",
    413: "The request body is too large",
    422: "The request does not conform to the schema or to a rule of its own",
    429: "Too many requests; Retry-After says when to try again",
    503: "A dependency is unavailable, nothing was changed; Retry-After says when to retry",
}

Call = TypeVar("Call", bound=Callable[..., Any])


def answers(*statuses: int) -> Callable[[Call], Call]:
    """Mark a FastAPI dependency with the error statuses it can answer with (the bearer
    check 401, a role check 403, a database session 503): every route that depends on it,
    however indirectly, documents them."""

    def mark(call: Call) -> Call:
        call.problem_statuses = frozenset(statuses)  # type: ignore[attr-defined]
        return call

    return mark


def problems(*statuses: int, reasons: dict[int, str] | None = None) -> dict[int | str, Any]:
    """``responses=`` for what only a route knows: ``problems(409)``, or with a reason,
    ``problems(reasons={409: "the case is closed"})``."""
    described = reasons or {}
    return {
        status: {"description": described.get(status) or HTTPStatus(status).phrase}
        for status in (*statuses, *described)
    }


def dependency_statuses(dependant: Dependant) -> Iterator[int]:
    for dependency in dependant.dependencies:
        yield from getattr(dependency.call, "problem_statuses", ())
        yield from dependency_statuses(dependency)


def any_query(call: Call) -> Call:
    """Mark an endpoint or a dependency that reads query parameters it cannot declare (a
    provider's webhook signed over its whole URL): its route takes any."""
    call.open_query = True  # type: ignore[attr-defined]
    return call


@any_query
async def takes_any_query() -> None:
    """A route's or router's dependency that says it takes any query parameter."""


def open_query(dependant: Dependant) -> bool:
    return getattr(dependant.call, "open_query", False) or any(
        open_query(dependency) for dependency in dependant.dependencies
    )


def query_names(dependant: Dependant) -> Iterator[str]:
    for param in dependant.query_params:
        model = param.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):  # Annotated[M, Query()]
            yield from (field.alias or name for name, field in model.model_fields.items())
        else:
            yield param.alias
    for dependency in dependant.dependencies:
        yield from query_names(dependency)


def limited(path: str, rule: RateLimitRule) -> bool:
    """Whether ``rule`` counts requests to the route ``path`` (its parameters filled in)."""
    sample = re.sub(r"\{[^}]+\}", "sample", path)
    return rule.key({"type": "http", "path": sample, "client": ("127.0.0.1", 0)}) is not None


def derived_statuses(route: Any, rate_limits: Sequence[RateLimitRule]) -> set[int]:
    statuses = set(dependency_statuses(route.dependant))
    if route.dependant.path_params:
        statuses.add(404)
    if route.body_field is not None:
        statuses.update({400, 413, 422})
    if route.dependant.path_params or route.dependant.query_params:
        statuses.add(422)
    if route.dependant.header_params or route.dependant.cookie_params:
        statuses.add(422)
    if any(limited(route.path_format, rule) for rule in rate_limits):
        statuses.add(429)
    return statuses


def problem_answer(status: int, answer: dict[str, Any] | None) -> dict[str, Any]:
    """The documented answer ``status`` keeps its description and any non-JSON content
    (an XML answer to a provider), and its JSON content becomes a problem."""
    answer = dict(answer or {})
    answer["description"] = (
        answer.get("description")
        if answer.get("description") not in (None, "", "Validation Error")
        else DEFAULT_REASONS.get(status, HTTPStatus(status).phrase)
    )
    content = {
        media: body
        for media, body in (answer.get("content") or {}).items()
        if media not in ("application/json", PROBLEM_JSON)
    }
    content[PROBLEM_JSON] = {"schema": {"$ref": PROBLEM_REF}}
    answer["content"] = content
    if status in RETRYABLE:
        answer["headers"] = {"Retry-After": RETRY_AFTER, **answer.get("headers", {})}
    return answer


def api_routes(app: FastAPI) -> Iterator[Any]:
    """Each operation's route as it is served (its included router's prefix and
    dependencies applied): what has a ``dependant`` and is in the schema."""
    contexts = getattr(routing, "iter_route_contexts", None)  # FastAPI's included routers
    for route in contexts(app.routes) if contexts else app.routes:
        if getattr(route, "dependant", None) and getattr(route, "include_in_schema", False):
            yield route


def document_problems(app: FastAPI, rate_limits: Sequence[RateLimitRule] = ()) -> None:
    """Replace ``app.openapi`` with one that documents every operation's problems."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = get_openapi(
            title=app.title,
            version=app.version,
            openapi_version=app.openapi_version,
            description=app.description,
            routes=app.routes,
        )
        components = document.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = PROBLEM_SCHEMA
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        for route in api_routes(app):
            operations = document["paths"].get(route.path_format, {})
            derived = derived_statuses(route, rate_limits)
            for method in route.methods:
                operation = operations.get(method.lower())
                if operation is None:
                    continue
                answers_ = operation.setdefault("responses", {})
                for status in sorted(derived):
                    answers_.setdefault(str(status), {})
                for status, answer in list(answers_.items()):
                    if status.isdigit() and int(status) >= 400:
                        answers_[status] = problem_answer(int(status), answer)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


@answers(422)
async def declared_query_only(request: Request) -> None:
    """A query parameter the operation does not declare is refused, as the document (which
    lists them all) says: a misspelt filter is an error, not a silently wider answer."""
    route = request.scope.get("route")
    if route is None or not getattr(route, "include_in_schema", False):
        return
    declared = _declared_query(route)
    if declared is None:
        return
    unknown = sorted(set(request.query_params) - declared)
    if unknown:
        errors = [
            {"field": name, "in": "query", "message": "unknown parameter", "type": "extra"}
            for name in unknown
        ]
        raise Problem(
            422, f"unknown query parameter {unknown[0]!r}", title="Invalid request", errors=errors
        )


def _declared_query(route: Any) -> frozenset[str] | None:
    """The query parameters ``route`` declares; None when it takes any."""
    if not hasattr(route, "declared_query"):
        dependant = route.dependant
        route.declared_query = None if open_query(dependant) else frozenset(query_names(dependant))
    declared: frozenset[str] | None = route.declared_query
    return declared
