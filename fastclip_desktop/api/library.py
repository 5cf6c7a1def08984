"""The clip library: ``GET /v1/clips``, ``GET/PATCH/DELETE /v1/clips/{clip_id}``, pin and unpin,
``POST /v1/clips/bulk-delete``. Unpinned clips in the library folder expire (24 h by default)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from .body import clip_id_param, is_file_id, json_body, query_int
from .errors import ApiError, invalid
from .routing import ApiRoute
from .views import clip_view

MAX_BULK = 50


async def list_clips(request: Request, api) -> JSONResponse:
    offset, limit = query_int(request, "offset", 0, high=10**9), query_int(request, "limit", 20, low=1, high=100)
    source = request.query_params.get("file_id")
    if source is not None and not is_file_id(source):
        raise ApiError(404, "not_found", f"no upload {source[:40]!r}", "file_id")
    everything = request.query_params.get("include_expired", "false").lower() in ("1", "true", "yes")
    lib = api.library
    clips = await api.db(lib.list_clips, source, offset, limit, include_expired=everything)
    total = await api.db(lib.count_clips, source, include_expired=everything)
    return JSONResponse({"data": [clip_view(api, request, c) for c in clips], "offset": offset, "limit": limit,
                         "total": total})


async def get_clip(request: Request, api) -> JSONResponse:
    clip = await api.db(api.library.get_clip, clip_id_param(request))
    return JSONResponse(clip_view(api, request, clip))


async def patch_clip(request: Request, api) -> JSONResponse:
    clip_id = clip_id_param(request)
    body = await json_body(request)
    title = body.text("title", max_len=1000, blank=True)
    if title is None:
        title = body.text("name", max_len=1000, blank=True)
    pinned = body.flag("pinned")
    if title is None and pinned is None:
        raise invalid("give a title (at most 200 characters) or pinned", "title")
    lib = api.library
    clip = await api.db(lib.get_clip, clip_id)
    if title is not None:
        clip = await api.db(lib.rename_clip, clip_id, title)
    if pinned is not None:
        clip = await api.db(lib.pin_clip if pinned else lib.unpin_clip, clip_id)
    return JSONResponse(clip_view(api, request, clip))


async def pin(request: Request, api) -> JSONResponse:
    return JSONResponse(clip_view(api, request, await api.db(api.library.pin_clip, clip_id_param(request))))


async def unpin(request: Request, api) -> JSONResponse:
    return JSONResponse(clip_view(api, request, await api.db(api.library.unpin_clip, clip_id_param(request))))


async def delete_clip(request: Request, api) -> JSONResponse:
    clip = await api.db(api.library.delete_clip, clip_id_param(request))
    return JSONResponse({"deleted": True, "clip_id": clip.clip_id})


async def bulk_delete(request: Request, api) -> JSONResponse:
    body = await json_body(request)
    key = "clip_ids" if body.has("clip_ids") or not body.has("ids") else "ids"
    ids = body.texts(key, required=True, max_items=MAX_BULK, max_len=64)
    result = await api.db(api.library.bulk_delete_clips, ids)
    return JSONResponse({"deleted": list(result.deleted), "not_found": list(result.not_found)})


_CLIP = {"clip_id": "d9d54c23-7af8-41f8-8f6e-9ce0092f8f2f", "title": "talk_0-12-0-42", "pinned": False}
ROUTES = [
    ApiRoute("GET", "/v1/clips", list_clips, "Clips, newest first", "Clip library",
             query=("offset", "limit", "file_id", "include_expired"),
             example={"data": [_CLIP], "offset": 0, "limit": 20, "total": 1}),
    ApiRoute("POST", "/v1/clips/bulk-delete", bulk_delete, "Delete up to 50 clips", "Clip library",
             body={"type": "object", "required": ["clip_ids"], "properties": {
                 "clip_ids": {"type": "array", "maxItems": MAX_BULK, "items": {"type": "string"}}}},
             example={"deleted": [], "not_found": []}),
    ApiRoute("GET", "/v1/clips/{clip_id}", get_clip, "One clip", "Clip library", example=_CLIP),
    ApiRoute("PATCH", "/v1/clips/{clip_id}", patch_clip, "Rename a clip (title, at most 200 characters) or pin it",
             "Clip library", body={"type": "object", "properties": {"title": {"type": "string", "maxLength": 200},
                                                                    "pinned": {"type": "boolean"}}}),
    ApiRoute("DELETE", "/v1/clips/{clip_id}", delete_clip, "Delete a clip (and its file in the library folder)",
             "Clip library", example={"deleted": True, "clip_id": _CLIP["clip_id"]}),
    ApiRoute("POST", "/v1/clips/{clip_id}/pin", pin, "Keep a clip for good", "Clip library"),
    ApiRoute("POST", "/v1/clips/{clip_id}/unpin", unpin, "Let a clip expire again", "Clip library"),
]
