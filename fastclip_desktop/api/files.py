"""``GET /v1/files/{clip_id}``: a clip's file, the ``download_url`` of its job and of the library.

Served with HTTP Range (206 partial content, 416 past the end), so a ``<video>`` tag can play it
and seek; the URL's own signature stands for the key (a ``<video>`` tag sends no header), or a
Bearer key may be sent instead. Only a clip's recorded file is ever served, by its clip_id.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from engine import Gone

from .body import clip_id_param
from .errors import ApiError
from .routing import ApiRoute

MEDIA_TYPES = {"mp4": "video/mp4", "gif": "image/gif", "mp3": "audio/mpeg", "wav": "audio/wav",
               "m4a": "audio/mp4", "flac": "audio/flac"}


async def clip_file(request: Request, api) -> Response:
    if "sig" in request.query_params and not api.signer.check(request.url.path, request.query_params):
        raise ApiError(401, "unauthorized", "this download URL's signature is wrong or has expired; get a new one "
                       "from GET /v1/clip/{job_id} or GET /v1/clips", "sig")
    clip = await api.db(api.library.get_clip, clip_id_param(request))
    path = Path(clip.path)
    if not path.is_file():
        raise Gone(f"the file of the clip {clip.title} was moved or deleted", field="clip_id")
    return FileResponse(path, media_type=MEDIA_TYPES.get(clip.format, "application/octet-stream"),
                        filename=clip.file_name, content_disposition_type="inline")


ROUTES = [
    ApiRoute("GET", "/v1/files/{clip_id}", clip_file, "A clip's file (HTTP Range; the signed download_url needs no "
             "key)", "Files", auth="key_or_signed", query=("expires", "sig"), statuses=(200, 206, 416)),
]
