"""One error envelope everywhere: {"error": {"code", "message", "details": [{path, message}]}}."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import Response

from leadstreams.errors import (
    Conflict,
    InvalidInput,
    LeadstreamsError,
    Malformed,
    NotFound,
    PermissionDenied,
    TooLarge,
    TooManyRequests,
    Unauthenticated,
    error_path,
    printable,
)
from leadstreams.schemas.plain import plain_message
from leadstreams.store.retry import DatabaseError, database_unavailable

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5  # when the database is down: about what a restart takes

STATUS: dict[type[LeadstreamsError], int] = {
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    PermissionDenied: 403,
    Unauthenticated: 401,
    TooLarge: 413,
    Malformed: 400,
    TooManyRequests: 429,
}
JSON_PATHS = ("/api/", "/v1/", "/healthz", "/metrics")  # the APIs; the rest are pages


def envelope(
    status: int, code: str, message: str, details: Sequence[dict[str, str]] = ()
) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    # A message may quote the input, which can hold what no UTF-8 answer encodes.
    details = [{k: printable(v) for k, v in detail.items()} for detail in details]
    body = {"error": {"code": code, "message": printable(message), "details": details}}
    return JSONResponse(body, status_code=status, headers=headers)


def pydantic_path(location: Sequence[Any]) -> str:
    """('body', 'team_ids', 0) -> 'team_ids[0]'."""
    parts = list(location)
    if parts and parts[0] in ("body", "query", "path"):
        parts = parts[1:]
    return error_path(parts) or "body"


async def _service_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, LeadstreamsError)
    # Found through the MRO: a subclass maps as its base does.
    status = next((STATUS[c] for c in type(error).__mro__ if c in STATUS), 400)
    details = [{"path": d.path, "message": d.message} for d in error.details]
    if _is_page(request):
        answer = await _page(request, status, error.message, details)
    else:
        answer = envelope(status, error.code, error.message, details)
    if isinstance(error, TooManyRequests):
        answer.headers["Retry-After"] = str(error.retry_after)
    return answer


def _is_page(request: Request) -> bool:
    """A browser's page (not an API path), when the web app is installed."""
    return getattr(request.app.state, "render_error", None) is not None and not (
        request.url.path.startswith(JSON_PATHS)
    )


async def _page(
    request: Request, status: int, message: str, details: list[dict[str, str]]
) -> Response:
    """The error as a page of the web app (it may look up who is logged in: off the loop)."""
    answer: Response = await run_in_threadpool(
        request.app.state.render_error, request, status, message, details
    )
    return answer


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    if _is_page(request):  # a page's form or query: plain words, never the envelope
        plain = [
            {"path": pydantic_path(e["loc"]), "message": plain_message(e)} for e in error.errors()
        ]
        return await _page(request, 422, "Something in the form needs fixing.", plain)
    details = [_detail(item) for item in error.errors()]
    return envelope(422, "invalid_input", "the request is not valid", details)


def _detail(item: Any) -> dict[str, str]:
    if item["type"] == "json_invalid":  # its location is a character position, not a field
        where, why = item["loc"][-1], item.get("ctx", {}).get("error", "")
        return {"path": "body", "message": f"not valid JSON at character {where}: {why}"}
    return {"path": pydantic_path(item["loc"]), "message": item["msg"]}


_PAGE_MESSAGES = {
    404: "There is no page at this address. It may have moved, or the link may be mistyped.",
    405: "This address does not take that kind of request; use the page's own buttons.",
}


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if _is_page(request):
        message = _PAGE_MESSAGES.get(error.status_code, str(error.detail))
        return await _page(request, error.status_code, message, [])
    codes = {
        401: "unauthenticated",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        413: "too_large",
    }
    return envelope(error.status_code, codes.get(error.status_code, "error"), str(error.detail))


async def _unexpected_error(request: Request, error: Exception) -> Response:
    """A fault of ours (logged by the server with its traceback): the envelope, with nothing
    of the fault in it, not the server's plain text. A database that is down or restarting
    is 503 with Retry-After: nothing was written, and the same request will do."""
    status, code = 500, "internal_error"
    message = "something went wrong on our side; it has been logged"
    if database_unavailable(error):
        status, code = 503, "unavailable"
        message = "the database is not reachable just now; try again in a few seconds"
    if _is_page(request):
        answer = await _page(request, status, message, [])
    else:
        answer = envelope(status, code, message)
    if status == 503:
        answer.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return answer


async def _database_error(request: Request, error: Exception) -> Response:
    """A database error, answered here (not re-raised to the server as other faults are):
    one log line while the database is out of reach, instead of a traceback per request."""
    if database_unavailable(error):
        log.warning("%s %s: the database is out of reach (%s)", request.method,
                    request.url.path, str(error).splitlines()[0])  # fmt: skip
    else:
        log.error("%s %s failed", request.method, request.url.path, exc_info=error)
    return await _unexpected_error(request, error)


def install(app: FastAPI) -> None:
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_exception_handler(DatabaseError, _database_error)
    app.add_exception_handler(LeadstreamsError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
