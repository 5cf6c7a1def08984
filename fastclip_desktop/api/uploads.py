"""Uploads: ``POST /v1/upload/request`` (one signed ``PUT`` URL on this server), the ``PUT`` itself,
``GET /v1/upload/{file_id}``, ``POST /v1/upload/abort``, and the local extension
``POST /v1/upload/local`` (import a file in place, from the folders the settings allow).

Bytes go to the library's ``uploads/`` folder through ``atomic_output`` (a hidden temp file,
fsynced, renamed), at the path the library names (never one a client gives); the file then is an
import like any other: its signature is checked, and an import job of the one runner probes it.
The statuses are the API's: pending (bytes not in yet, or not probed yet), processing, ready, failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from pathlib import Path

import anyio.to_thread
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse

from engine import FastClipError, atomic_output

from .body import Fields, digits, file_id_param, json_body
from .errors import ApiError, invalid
from .routing import ApiRoute
from .signing import UPLOAD_URL_S
from .views import upload_view

MAX_SOURCE_TITLE = 200


def one_shot_clip(body: Fields) -> dict | None:
    """The ``clip`` of an upload request (start, end, source_title), checked for type."""
    clip = body.obj("clip")
    if clip is None:
        return None
    out = {"start": clip.number("start"), "end": clip.number("end")}
    title = clip.text("source_title", max_len=MAX_SOURCE_TITLE)
    if title is not None and title.strip():
        out["source_title"] = title.strip()
    return out


async def queue_import(api, path: Path, *, clip_requested: bool = False):
    """Queue the import job of a file now in place; the Media row (or raise the refusal)."""
    results, _ = await api.run(lambda r: r.queue_imports([str(path)], clip_requested=clip_requested))
    if isinstance(results[0], FastClipError):
        raise results[0]
    return results[0]


@contextlib.asynccontextmanager
async def one_writer(api, key: str):
    """Refuse (409) a second upload of the same file (or part) while one is being received."""
    lock = api.upload_locks.setdefault(key, asyncio.Lock())
    if lock.locked():
        raise ApiError(409, "conflict", "these bytes are being uploaded by another request", "file_id")
    async with lock:
        try:
            yield
        finally:
            api.upload_locks.pop(key, None)


async def receive(request: Request, dest: Path, expected: int, *, etag: bool = False) -> str | None:
    """Write the request's body to ``dest`` atomically; it must be exactly ``expected`` bytes.
    Returns the MD5 of the bytes when ``etag``. Nothing is left behind when it fails."""
    declared = request.headers.get("content-length")
    if declared is not None and (not digits(declared) or int(declared) != expected):
        raise invalid(f"this upload is {expected} bytes (its file_size); the request says Content-Length "
                      f"{declared[:20]}", "file_size")
    md5 = hashlib.md5(usedforsecurity=False) if etag else None
    writing = atomic_output(dest)
    tmp = await anyio.to_thread.run_sync(writing.__enter__)
    try:
        size = 0
        with open(tmp, "wb") as f:
            async for chunk in request.stream():
                size += len(chunk)
                if size > expected:
                    raise invalid(f"more than the {expected} bytes of this upload were sent", "file_size")
                f.write(chunk)
                if md5 is not None:
                    md5.update(chunk)
        if size != expected:
            raise invalid(f"{size} bytes were received; this upload is {expected} bytes", "file_size")
    except ClientDisconnect:
        writing.__exit__(ClientDisconnect, ClientDisconnect(), None)
        raise invalid("the client went away before all the bytes were sent", "file_size") from None
    except BaseException as e:
        writing.__exit__(type(e), e, e.__traceback__)
        raise
    await anyio.to_thread.run_sync(writing.__exit__, None, None, None)  # fsync, rename
    return md5.hexdigest() if md5 is not None else None


def check_signed(api, request: Request) -> None:
    if not api.signer.check(request.url.path, request.query_params):
        raise ApiError(401, "unauthorized", "this upload URL's signature is wrong or has expired; ask for a new "
                       "one", "sig")


# -- endpoints ----------------------------------------------------------------------------------------


async def request_upload(request: Request, api) -> JSONResponse:
    body = await json_body(request)
    clip = one_shot_clip(body)
    upload = await api.db(api.library.create_upload, body.text("filename", required=True),
                          body.text("content_type", max_len=255, blank=True),
                          body.whole("file_size", required=True, low=1), clip=clip)
    url = api.signer.url(api.base_url(request), f"/v1/upload/put/{upload.file_id}", UPLOAD_URL_S)
    return JSONResponse({"file_id": upload.file_id, "upload_url": url, "expires_in": UPLOAD_URL_S,
                         "clip_requested": clip is not None})


async def put_upload(request: Request, api) -> JSONResponse:
    check_signed(api, request)
    file_id = file_id_param(request)
    lib = api.library
    async with one_writer(api, file_id):
        upload = await api.db(lib.awaiting_upload, file_id)
        if upload.upload_id is not None:
            raise invalid(f"{file_id} is a multipart upload: PUT its parts to their URLs", "upload_id")
        path = lib.upload_path(upload)
        await receive(request, path, upload.file_size)
        media = await api.db(lib.receive_upload, file_id)
        if media.status == "pending":
            media = await queue_import(api, path, clip_requested=upload.clip is not None)
    return JSONResponse({"ok": True, "file_id": file_id, "status": media.status})


async def upload_status(request: Request, api) -> JSONResponse:
    file_id = file_id_param(request)
    upload = await api.db(api.library.find_upload, file_id)
    try:
        media = await api.db(api.library.get_media, file_id)
    except FastClipError:
        if upload is None:
            raise
        media = None
    return JSONResponse(upload_view(upload, media))


async def abort_upload(request: Request, api) -> JSONResponse:
    body = await json_body(request)
    file_id = body.text("file_id", required=True, max_len=40)
    upload = await api.db(api.library.delete_upload, file_id)
    return JSONResponse({"ok": True, "file_id": upload.file_id, "aborted": True})


async def local_upload(request: Request, api) -> JSONResponse:
    body = await json_body(request)
    path = await api.db(api.library.check_local_path, body.text("path", required=True))
    media = await queue_import(api, path)
    return JSONResponse(upload_view(None, media))


_UPLOAD_REQUEST = {"type": "object", "required": ["filename", "file_size"], "properties": {
    "filename": {"type": "string"}, "content_type": {"type": "string"}, "file_size": {"type": "integer"},
    "clip": {"type": "object", "properties": {"start": {"type": "number"}, "end": {"type": "number"},
                                              "source_title": {"type": "string"}}}}}

ROUTES = [
    ApiRoute("POST", "/v1/upload/request", request_upload, "Request a signed single-PUT upload URL", "Uploads",
             body=_UPLOAD_REQUEST, example={"file_id": "upl_a1b2c3d4e5f6", "upload_url": "http://127.0.0.1:8484/...",
                                            "expires_in": 3600, "clip_requested": False}),
    ApiRoute("PUT", "/v1/upload/put/{file_id}", put_upload, "Upload the whole file (the signed upload_url; no key)",
             "Uploads", auth="signed", query=("expires", "sig")),
    ApiRoute("GET", "/v1/upload/{file_id}", upload_status, "Upload status (poll until ready)", "Uploads",
             example={"file_id": "upl_a1b2c3d4e5f6", "status": "ready", "filename": "source.mp4"}),
    ApiRoute("POST", "/v1/upload/abort", abort_upload, "Cancel a simple upload before its bytes came", "Uploads",
             body={"type": "object", "required": ["file_id"], "properties": {"file_id": {"type": "string"}}}),
    ApiRoute("POST", "/v1/upload/local", local_upload, "Import a local file in place (local extension; only from "
             "the folders of the api_local_folders setting)", "Uploads",
             body={"type": "object", "required": ["path"], "properties": {"path": {"type": "string"}}}),
]
