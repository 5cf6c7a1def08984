"""Multipart uploads: ``initiate`` (a signed URL per part, on this server), the part ``PUT``s (each
answers its ``ETag``, the MD5 of its bytes), ``complete`` (the parts, checked against their ETags,
put together into one file atomically, then imported), ``refresh`` (new URLs) and ``abort``.

Every part but the last is ``part_size`` bytes (at least 5 MiB), the last the rest: a part of
another size is refused, so a truncated part is caught when it is sent, not at ``complete``.
"""

from __future__ import annotations

import shutil

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse

from engine import atomic_output

from .body import digits, file_id_param, json_body, token_param
from .errors import invalid
from .routing import ApiRoute
from .signing import UPLOAD_URL_S
from .uploads import check_signed, one_shot_clip, one_writer, queue_import, receive

MAX_PART_LIST = 10_000


def _part_urls(api, request: Request, upload, numbers) -> list[dict]:
    base = api.base_url(request)
    return [{"part_number": n, "url": api.signer.url(base, f"/v1/upload/parts/{upload.file_id}/{upload.upload_id}/{n}",
                                                     UPLOAD_URL_S)} for n in numbers]


def _ids(body):
    return body.text("file_id", required=True, max_len=40), body.text("upload_id", required=True, max_len=60)


def _etag(text: str) -> str:
    return text.strip().strip('"').lower()


async def initiate(request: Request, api) -> JSONResponse:
    body = await json_body(request)
    clip = one_shot_clip(body)
    upload = await api.db(api.library.create_upload, body.text("filename", required=True),
                          body.text("content_type", max_len=255, blank=True),
                          body.whole("file_size", required=True, low=1), multipart=True,
                          part_size=body.whole("part_size", required=True, low=1),
                          part_count=body.whole("part_count", low=1), clip=clip)
    return JSONResponse({"file_id": upload.file_id, "upload_id": upload.upload_id,
                         "parts": _part_urls(api, request, upload, range(1, upload.part_count + 1)),
                         "expires_in": UPLOAD_URL_S, "clip_requested": clip is not None})


async def put_part(request: Request, api) -> JSONResponse:
    check_signed(api, request)
    file_id = file_id_param(request)
    upload_id = token_param(request, "upload_id", "multipart upload")
    lib = api.library
    upload = await api.db(lib.awaiting_upload, file_id, upload_id)
    raw = request.path_params["part_number"]
    if not digits(raw, 6):
        raise invalid(f"part_number must be a whole number, not {raw[:20]!r}", "part_number")
    number = lib.check_part_number(upload, int(raw))
    async with one_writer(api, f"{file_id}/{number}"):
        md5 = await receive(request, lib.part_path(upload, number), upload.part_bytes(number), etag=True)
        await api.db(lib.record_part, upload, number, md5, upload.part_bytes(number))
    etag = f'"{md5}"'
    return JSONResponse({"ok": True, "part_number": number, "etag": etag}, headers={"ETag": etag})


async def complete(request: Request, api) -> JSONResponse:
    body = await json_body(request)
    file_id, upload_id = _ids(body)
    parts = body.objects("parts", required=True, max_items=MAX_PART_LIST)
    lib = api.library
    upload = await api.db(lib.awaiting_upload, file_id, upload_id)
    given = {}
    for i, part in enumerate(parts):
        n = part.whole("part_number", required=True, low=1, high=upload.part_count)
        if n in given:
            raise invalid(f"part {n} is listed twice", f"parts[{i}].part_number")
        given[n] = (_etag(part.text("etag", required=True, max_len=100)), i)
    missing = [n for n in range(1, upload.part_count + 1) if n not in given]
    if missing:
        raise invalid(f"parts must list all {upload.part_count} parts; missing {missing[:10]}", "parts")
    received = await api.db(lib.uploaded_parts, upload)
    for n, (etag, i) in sorted(given.items()):
        if n not in received:
            raise invalid(f"part {n} was never uploaded", f"parts[{i}].part_number")
        if received[n][0] != etag:
            raise invalid(f"part {n}'s etag is not the one its upload answered", f"parts[{i}].etag")
    async with one_writer(api, file_id):
        path = lib.upload_path(upload)
        await anyio.to_thread.run_sync(_assemble, lib, upload, path)
        media = await api.db(lib.receive_upload, file_id)
        if media.status == "pending":
            await queue_import(api, path, clip_requested=upload.clip is not None)
    return JSONResponse({"ok": True, "file_id": file_id, "queued_validation": media.status == "pending"})


def _assemble(lib, upload, path) -> None:
    with atomic_output(path) as tmp, open(tmp, "wb") as out:
        for n in range(1, upload.part_count + 1):
            with open(lib.part_path(upload, n), "rb") as f:
                shutil.copyfileobj(f, out, 1024 * 1024)


async def refresh(request: Request, api) -> JSONResponse:
    body = await json_body(request)
    file_id, upload_id = _ids(body)
    upload = await api.db(api.library.awaiting_upload, file_id, upload_id)
    numbers = body.items("part_numbers", max_items=MAX_PART_LIST)
    if numbers is None:  # missing parts, by default
        received = await api.db(api.library.uploaded_parts, upload)
        numbers = [n for n in range(1, upload.part_count + 1) if n not in received]
    checked = []
    for i, n in enumerate(numbers):
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= upload.part_count:
            raise invalid(f"part numbers are from 1 to {upload.part_count}", f"part_numbers[{i}]")
        checked.append(n)
    return JSONResponse({"file_id": file_id, "upload_id": upload_id,
                         "parts": _part_urls(api, request, upload, checked), "expires_in": UPLOAD_URL_S})


async def abort(request: Request, api) -> JSONResponse:
    body = await json_body(request)
    file_id, upload_id = _ids(body)
    await api.db(api.library.delete_upload, file_id, upload_id)
    return JSONResponse({"ok": True, "file_id": file_id, "upload_id": upload_id, "aborted": True})


_IDS = {"file_id": {"type": "string"}, "upload_id": {"type": "string"}}
ROUTES = [
    ApiRoute("POST", "/v1/upload/multipart/initiate", initiate, "Start a multipart upload: a signed URL per part",
             "Uploads", body={"type": "object", "required": ["filename", "file_size", "part_size"], "properties": {
                 "filename": {"type": "string"}, "content_type": {"type": "string"},
                 "file_size": {"type": "integer"}, "part_size": {"type": "integer", "minimum": 5 * 1024 * 1024},
                 "part_count": {"type": "integer"}, "clip": {"type": "object"}}}),
    ApiRoute("PUT", "/v1/upload/parts/{file_id}/{upload_id}/{part_number}", put_part,
             "Upload one part (its signed URL; no key); answers its ETag", "Uploads", auth="signed",
             query=("expires", "sig")),
    ApiRoute("POST", "/v1/upload/multipart/complete", complete, "Finish a multipart upload with every part's ETag",
             "Uploads", body={"type": "object", "required": ["file_id", "upload_id", "parts"], "properties": {
                 **_IDS, "parts": {"type": "array", "items": {"type": "object", "properties": {
                     "part_number": {"type": "integer"}, "etag": {"type": "string"}}}}}},
             example={"ok": True, "file_id": "upl_a1b2c3d4e5f6", "queued_validation": True}),
    ApiRoute("POST", "/v1/upload/multipart/refresh", refresh, "New URLs for some parts (default: those not sent)",
             "Uploads", body={"type": "object", "required": ["file_id", "upload_id"], "properties": {
                 **_IDS, "part_numbers": {"type": "array", "items": {"type": "integer"}}}}),
    ApiRoute("POST", "/v1/upload/multipart/abort", abort, "Cancel an unfinished multipart upload", "Uploads",
             body={"type": "object", "required": ["file_id", "upload_id"], "properties": _IDS}),
]
