"""Webhooks: CRUD, ``POST /v1/webhooks/{webhook_id}/test`` and ``GET .../deliveries``. Deliveries are
signed and retried by the server's dispatcher (the engine's), as the app sends them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from engine import send_test_event

from .body import json_body, query_int, token_param
from .routing import ApiRoute


def _webhook_id(request: Request) -> str:
    return token_param(request, "webhook_id", "webhook")


async def create_webhook(request: Request, api) -> JSONResponse:
    body = await json_body(request)
    hook = await api.db(api.library.add_webhook, body.text("url", required=True, max_len=4096),
                        body.texts("events", required=True, max_items=50, max_len=100),
                        secret=body.text("secret", max_len=1000))
    return JSONResponse(hook.to_dict(with_secret=True), status_code=201)


async def list_webhooks(request: Request, api) -> JSONResponse:
    return JSONResponse([h.to_dict() for h in await api.db(api.library.list_webhooks)])


async def get_webhook(request: Request, api) -> JSONResponse:
    return JSONResponse((await api.db(api.library.get_webhook, _webhook_id(request))).to_dict())


async def update_webhook(request: Request, api) -> JSONResponse:
    webhook_id = _webhook_id(request)
    body = await json_body(request)
    hook = await api.db(api.library.update_webhook, webhook_id, url=body.text("url", max_len=4096),
                        events=body.texts("events", max_items=50, max_len=100))
    return JSONResponse(hook.to_dict())


async def delete_webhook(request: Request, api) -> JSONResponse:
    hook = await api.db(api.library.remove_webhook, _webhook_id(request))
    return JSONResponse({"deleted": True, "webhook_id": hook.webhook_id})


async def test_webhook(request: Request, api) -> JSONResponse:
    sent = await api.db(send_test_event, api.library, _webhook_id(request))
    return JSONResponse(sent.to_dict())


async def deliveries(request: Request, api) -> JSONResponse:
    webhook_id = _webhook_id(request)
    offset, limit = query_int(request, "offset", 0, high=10**9), query_int(request, "limit", 20, low=1, high=100)
    found = await api.db(api.library.list_deliveries, webhook_id, offset, limit)
    return JSONResponse({"data": [d.to_dict() for d in found], "offset": offset, "limit": limit})


_HOOK = {"type": "object", "properties": {"url": {"type": "string"}, "events": {"type": "array", "items": {
    "type": "string", "enum": ["clip.complete", "clip.failed", "upload.ready", "upload.failed", "clip.expired"]}},
    "secret": {"type": "string"}}}
ROUTES = [
    ApiRoute("POST", "/v1/webhooks", create_webhook, "Register a webhook (its secret is shown once)", "Webhooks",
             body={**_HOOK, "required": ["url", "events"]}, statuses=(201,)),
    ApiRoute("GET", "/v1/webhooks", list_webhooks, "The webhooks", "Webhooks"),
    ApiRoute("GET", "/v1/webhooks/{webhook_id}", get_webhook, "One webhook", "Webhooks"),
    ApiRoute("PATCH", "/v1/webhooks/{webhook_id}", update_webhook, "Change a webhook's URL or events", "Webhooks",
             body=_HOOK),
    ApiRoute("DELETE", "/v1/webhooks/{webhook_id}", delete_webhook, "Remove a webhook and its deliveries",
             "Webhooks"),
    ApiRoute("POST", "/v1/webhooks/{webhook_id}/test", test_webhook, "Send a signed test event now", "Webhooks"),
    ApiRoute("GET", "/v1/webhooks/{webhook_id}/deliveries", deliveries, "Deliveries, newest first", "Webhooks",
             query=("offset", "limit")),
]
