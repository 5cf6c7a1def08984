"""The API's one error shape, ``{"error": {"code", "message", "field"}}``, and the HTTP status of each
engine error (the FastClip API's codes: 400, 401, 403, 404, 409, 410, 422, 500).

An engine error keeps its code and field; a request the API itself refuses (a malformed body, a
missing key) is an :class:`ApiError`. Anything else is a 500 that says so without a traceback
(the traceback goes to the server's log).
"""

from __future__ import annotations

import logging
import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from engine import FastClipError

log = logging.getLogger("fastclip.api")

# engine error code -> HTTP status
STATUS = {
    "invalid_request": 400,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "cancelled": 409,
    "gone": 410,
    "unsupported_media": 422,
    "processing_failed": 500,
}
# fields whose rules are about time (a clip too long, past the source's end): "validation failed", 422
_TIME_FIELD = re.compile(r"^(start|end|duration|segments\[\d+\]\.(start|end))$")
_HTTP_CODES = {400: "invalid_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 410: "gone", 413: "payload_too_large",
               416: "range_not_satisfiable", 422: "unsupported_media", 501: "not_implemented"}


class ApiError(Exception):
    """A request the API refuses before the engine sees it."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field, self.headers = status, code, message, field, headers


def invalid(message: str, field: str | None) -> ApiError:
    return ApiError(400, "invalid_request", message, field)


def error_body(code: str, message: str, field: str | None = None) -> dict:
    return {"error": {"code": code, "message": message, "field": field}}


def error_response(status: int, code: str, message: str, field: str | None = None,
                   headers: dict | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message, field), status_code=status, headers=headers)


def engine_status(e: FastClipError) -> int:
    status = STATUS.get(e.code, 500)
    if status == 400 and e.field and _TIME_FIELD.match(e.field):
        return 422
    return status


def from_engine(e: FastClipError) -> JSONResponse:
    status = engine_status(e)
    if status >= 500:
        log.warning("engine error: %s", e.message)
    return error_response(status, e.code, e.message, e.field)


def job_error_status(error: dict | None) -> int:
    """The HTTP status of a failed job's error (a synchronous endpoint that waited for it)."""
    return STATUS.get((error or {}).get("code"), 500)


async def on_api_error(request: Request, e: ApiError) -> JSONResponse:
    return error_response(e.status, e.code, e.message, e.field, e.headers)


async def on_engine_error(request: Request, e: FastClipError) -> JSONResponse:
    return from_engine(e)


async def on_http_error(request: Request, e: HTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(e.status_code, "error")
    message = {404: f"no endpoint {request.method} {request.url.path}",
               405: f"{request.method} is not allowed on {request.url.path}"}.get(e.status_code, str(e.detail))
    return error_response(e.status_code, code, message, None, getattr(e, "headers", None))


async def on_unexpected(request: Request, e: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=e)
    return error_response(500, "internal_error", f"the server failed on this request ({type(e).__name__}); "
                          "see the server's log", None)


HANDLERS = {ApiError: on_api_error, FastClipError: on_engine_error, HTTPException: on_http_error,
            Exception: on_unexpected}
