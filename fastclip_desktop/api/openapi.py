"""The OpenAPI document of the routes the API declares (``routing.ApiRoute``): one source for the
server and its docs, so a route cannot be served undocumented."""

from __future__ import annotations

import re

from .routing import ApiRoute

ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message", "field"], "properties": {
        "code": {"type": "string", "example": "invalid_request"}, "message": {"type": "string"},
        "field": {"type": "string", "nullable": True}}}}}
_REASONS = {200: "OK", 201: "Created", 206: "Partial content (Range)", 400: "Invalid request fields",
            401: "Missing or invalid API key (or URL signature)", 403: "Not allowed here",
            404: "Not found or no longer available", 409: "State conflict (e.g. upload not ready)",
            410: "Source gone (moved, changed or expired)", 413: "Body too large",
            416: "Range not satisfiable", 422: "Validation failed (durations, unsupported media)",
            500: "Internal error", 501: "Not in this version yet"}
_ERRORS = (400, 401, 404, 409, 410, 413, 422, 500)


def document(routes: list[ApiRoute], version: str) -> dict:
    paths: dict[str, dict] = {}
    for r in routes:
        op: dict = {"summary": r.summary, "tags": [r.tag],
                    "operationId": f"{r.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', r.path.lower()).strip('_')}"}
        params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                  for name in re.findall(r"{(\w+)}", r.path)]
        params += [{"name": name, "in": "query", "required": False, "schema": {"type": "string"}} for name in r.query]
        if params:
            op["parameters"] = params
        if r.body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": r.body}}}
        if r.auth != "key":
            op["security"] = [] if r.auth != "key_or_signed" else [{"bearer": []}, {}]
        responses = {}
        for status in r.statuses:
            resp = {"description": _REASONS.get(status, "")}
            if r.example is not None and status in (200, 201):
                resp["content"] = {"application/json": {"example": r.example}}
            responses[str(status)] = resp
        if r.auth != "open":
            for status in _ERRORS:
                responses.setdefault(str(status), {"description": _REASONS[status], "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
        op["responses"] = responses
        paths.setdefault(r.path, {})[r.method.lower()] = op
    return {
        "openapi": "3.0.3",  # (the Swagger UI bundled reads 3.0)
        "info": {"title": "FastClip Desktop local API", "version": version,
                 "description": "The FastClip v1 API, served by FastClip Desktop on this machine: point a script's "
                                "base URL here and use a key from `fastclip keys create NAME`. `cost` is 0 and "
                                "`balance` null; errors are {\"error\": {\"code\", \"message\", \"field\"}}."},
        "paths": paths,
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": {"Error": ERROR}},
        "security": [{"bearer": []}],
    }
