"""API keys: ``POST /v1/keys`` (the key is in this answer only), ``GET /v1/keys``,
``DELETE /v1/keys/{key_id}``. The library keeps only a hash of each key."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from .body import json_body, token_param
from .routing import ApiRoute


async def create_key(request: Request, api) -> JSONResponse:
    body = await json_body(request)
    record, key = await api.db(api.library.create_api_key, body.text("name", required=True, max_len=1000))
    return JSONResponse({"key_id": record.key_id, "name": record.name, "key": key, "prefix": record.prefix,
                         "created_at": record.created_at}, status_code=201)


async def list_keys(request: Request, api) -> JSONResponse:
    return JSONResponse([k.to_dict() for k in await api.db(api.library.list_api_keys)])


async def delete_key(request: Request, api) -> JSONResponse:
    key = await api.db(api.library.delete_api_key, token_param(request, "key_id", "API key"))
    return JSONResponse({"deleted": True, "key_id": key.key_id})


ROUTES = [
    ApiRoute("POST", "/v1/keys", create_key, "Make an API key (shown only in this answer)", "Keys",
             body={"type": "object", "required": ["name"], "properties": {"name": {"type": "string",
                                                                                    "maxLength": 100}}},
             example={"key_id": "key_0123456789ab", "name": "ci", "key": "sk_local_..."}, statuses=(201,)),
    ApiRoute("GET", "/v1/keys", list_keys, "The keys (never the keys themselves)", "Keys"),
    ApiRoute("DELETE", "/v1/keys/{key_id}", delete_key, "Delete a key: it stops working at once", "Keys"),
]
