"""RFC 9457 problem details: every error the API returns is one of these."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from switchboard.servicekit.faults import DEPENDENCY_ERROR_TYPES, unavailable_dependency

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
CLIENT_CLOSED_REQUEST = 499
"""The status recorded for a request whose client hung up before it was read (nginx's
convention): nobody receives it, and it is no server error."""
RETRY_AFTER_SECONDS = 5
"""What a client is told to wait when a dependency is down (outages last seconds)."""


class Problem(Exception):
    """Raise anywhere in a request to answer with a problem+json body."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        title: str | None = None,
        type: str = "about:blank",
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title or HTTPStatus(status).phrase
        self.detail = detail
        self.type = type
        self.headers = headers
        self.extra = extra


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    type: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": type,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        location = [str(p) for p in err.get("loc", ())]
        errors.append(
            {
                "field": ".".join(location[1:]) or location[0] if location else "body",
                "in": location[0] if location else "body",
                "message": err.get("msg", "invalid"),
                "type": err.get("type", "invalid"),
            }
        )
    return errors


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.detail,
            title=exc.title,
            type=exc.type,
            headers=exc.headers,
            **exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc)
        first = errors[0] if errors else {"field": "body", "message": "invalid"}
        return problem_response(
            422,
            f"{first['field']}: {first['message']}",
            title="Invalid request",
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(
            exc.status_code,
            str(exc.detail) if exc.detail else None,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(ClientDisconnect)
    async def _client_gone(request: Request, _: ClientDisconnect) -> Response:
        # A client that hangs up mid-request (a timeout, a process killed, a retry on a new
        # connection) is not the server's error: no 500, no error log with a traceback.
        log.info("%s %s: the client disconnected", request.method, request.url.path)
        return Response(status_code=CLIENT_CLOSED_REQUEST)

    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        dependency = unavailable_dependency(exc)
        if dependency is not None:
            return dependency_unavailable(request, exc, dependency)
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem_response(500, "an unexpected error occurred; it has been logged")

    # The errors a dependency raises are answered here, inside the app, so the outage is
    # one warning per request; anything else reaches the server's last-resort handler.
    for error_type in DEPENDENCY_ERROR_TYPES:
        app.add_exception_handler(error_type, _unexpected)
    app.add_exception_handler(Exception, _unexpected)


def dependency_unavailable(request: Request, exc: Exception, dependency: str) -> JSONResponse:
    """503 with ``Retry-After``: nothing was done, the same request will work later."""
    log.warning(
        "%s %s: the %s is unavailable (%s)",
        request.method,
        request.url.path,
        dependency,
        type(exc).__name__,
    )
    return problem_response(
        503,
        f"the {dependency} is unavailable; nothing was changed, try again later",
        title="Service Unavailable",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        dependency=dependency,
    )
