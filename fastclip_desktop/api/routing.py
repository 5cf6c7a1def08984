"""An endpoint as the API declares it: method, path, who may call it, and what the docs say of it.

Each resource module lists its ``ROUTES``; :func:`starlette_routes` makes them Starlette routes,
each guarded by its ``auth`` ("key": an ``Authorization: Bearer`` key; "signed": the URL's own
signature, checked by the endpoint; "key_or_signed"; "open": nobody is asked), and
``openapi.py`` documents the same list.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Endpoint = Callable[..., Awaitable[Response]]
AUTHS = ("key", "signed", "key_or_signed", "open")


@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str
    endpoint: Endpoint  # async (request, api) -> Response
    summary: str
    tag: str
    auth: str = "key"
    body: dict | None = None  # a JSON schema of the body, for the docs
    query: tuple[str, ...] = ()  # query parameters, for the docs
    example: dict | list | None = None  # a response, for the docs
    statuses: tuple[int, ...] = field(default=(200,))


def starlette_routes(routes: list[ApiRoute], api) -> list[Route]:
    """One Starlette route per path, dispatching each method to its endpoint behind its guard."""
    by_path: dict[str, dict[str, ApiRoute]] = {}
    for r in routes:
        assert r.auth in AUTHS, r
        by_path.setdefault(r.path, {})[r.method] = r
    return [Route(path, _dispatch(methods, api), methods=list(methods)) for path, methods in by_path.items()]


def _dispatch(methods: dict[str, ApiRoute], api):
    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        route = methods[method]
        if route.auth == "key" or (route.auth == "key_or_signed" and "sig" not in request.query_params):
            await api.authenticate(request)
        return await route.endpoint(request, api)

    return endpoint
