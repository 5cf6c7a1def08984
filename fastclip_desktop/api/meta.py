"""What needs no key: ``GET /health``, ``GET /openapi.json`` and the docs at ``/docs`` (Swagger UI,
served from this machine: the ``swagger-ui-bundle`` package's files, nothing from the network; a
plain list of the endpoints when that package is missing)."""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response

from .errors import ApiError
from .routing import ApiRoute

try:
    from swagger_ui_bundle import swagger_ui_path
except ImportError:  # the docs page falls back to a plain list
    swagger_ui_path = None

ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png")
_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>FastClip Desktop local API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"><link rel="icon" href="/docs/assets/favicon-32x32.png">
</head><body><div id="docs"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/openapi.json", dom_id: "#docs", deepLinking: true});</script>
</body></html>"""


async def health(request: Request, api) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def openapi(request: Request, api) -> JSONResponse:
    return JSONResponse(api.openapi)


async def docs(request: Request, api) -> HTMLResponse:
    if swagger_ui_path is not None:
        return HTMLResponse(_PAGE)
    rows = "".join(f"<tr><td>{html.escape(m.upper())}</td><td><code>{html.escape(p)}</code></td>"
                   f"<td>{html.escape(op['summary'])}</td></tr>"
                   for p, ops in api.openapi["paths"].items() for m, op in ops.items())
    return HTMLResponse(f"<!doctype html><title>FastClip local API</title><h1>FastClip Desktop local API</h1>"
                        f"<p>OpenAPI: <a href='/openapi.json'>/openapi.json</a></p><table>{rows}</table>")


async def asset(request: Request, api) -> Response:
    name = request.path_params["name"]
    if swagger_ui_path is None or name not in ASSETS:
        raise ApiError(404, "not_found", f"no docs file {name[:60]!r}", None)
    return FileResponse(str(swagger_ui_path / name))


ROUTES = [
    ApiRoute("GET", "/health", health, "Is the server up (no key)", "Server", auth="open",
             example={"status": "ok"}),
    ApiRoute("GET", "/openapi.json", openapi, "This API as OpenAPI 3.0 (no key)", "Server", auth="open"),
    ApiRoute("GET", "/docs", docs, "These docs (no key)", "Server", auth="open"),
    ApiRoute("GET", "/docs/assets/{name}", asset, "The docs page's files (no key)", "Server", auth="open"),
]
