"""The ASGI application: every resource module's routes behind their guards, the one error shape,
and the server's life (the library, the job runner, the webhook dispatcher) as its lifespan."""

from __future__ import annotations

import contextlib
from importlib import metadata

from starlette.applications import Starlette

from . import (
    captions_assets,
    clips,
    files,
    keys,
    library,
    meta,
    moments,
    multipart,
    uploads,
    webhooks,
)
from .errors import HANDLERS
from .openapi import document
from .routing import ApiRoute, starlette_routes
from .state import ApiState

MODULES = (meta, uploads, multipart, clips, moments, library, captions_assets, webhooks, keys, files)


def all_routes() -> list[ApiRoute]:
    return [r for m in MODULES for r in m.ROUTES]


def version() -> str:
    try:
        return metadata.version("fastclip-desktop")
    except metadata.PackageNotFoundError:
        return "0.1.0"


def create_app(state: ApiState, on_ready=None) -> Starlette:
    """The API over ``state``; ``on_ready()`` is called once the library and the runner are up."""
    routes = all_routes()
    state.openapi = document(routes, version())

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await state.open()
        if on_ready is not None:
            on_ready()
        try:
            yield
        finally:
            await state.close()

    return Starlette(routes=starlette_routes(routes, state), exception_handlers=HANDLERS, lifespan=lifespan)
