"""Clip, caption and transcript jobs: ``POST /v1/clip`` (one range or segments),
``GET /v1/clip/{job_id}``, ``POST /v1/captions``, ``GET /v1/captions/{job_id}`` and
``POST /v1/transcript`` (answered when the transcript is made, as the API does).

Every request becomes a job of the one runner (``Runner.submit`` and friends, on the job thread):
the engine's ``validate`` holds every rule, and its refusals come back as the API's errors.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from engine import (
    CaptionsRequest,
    ClipRequest,
    Conflict,
    NotFound,
    Segment,
    cache_dir,
    cached_transcript,
    transcript_dict,
)

from .body import Fields, is_clip_id, is_file_id, job_id_param, json_body
from .errors import ApiError, error_response, invalid, job_error_status
from .routing import ApiRoute
from .views import job_view

CLIP_KINDS = ("clip", "captions", "auto")


async def ready_source(api, file_id: str, field: str = "file_id") -> None:
    """404 for an unknown file_id, 409 for an upload whose bytes have not come (the engine says the rest)."""
    if not is_file_id(file_id):
        raise NotFound(f"no upload {file_id[:40]!r}", field=field)
    upload = await api.db(api.library.find_upload, file_id)
    if upload is not None and upload.status == "awaiting":
        raise Conflict(f"the upload {file_id} has not received its bytes yet", field=field)


def captions_ref(body: Fields) -> str | None:
    """``captions`` as the API gives it ({"preset_ref": ...}), or a ref as text."""
    value = body.data.get("captions")
    if value is None or isinstance(value, str):
        return body.text("captions", max_len=120)
    return body.obj("captions").text("preset_ref", required=True, max_len=120)


def clip_request(body: Fields) -> ClipRequest:
    segments = body.objects("segments", max_items=1000)
    return ClipRequest(
        source=body.text("file_id", required=True, max_len=40),
        start=body.number("start"), end=body.number("end"),
        segments=None if segments is None else tuple(Segment(s.number("start"), s.number("end")) for s in segments),
        format=body.text("format", max_len=20), quality=body.text("quality", max_len=20),
        mode=body.text("mode", max_len=20), captions=captions_ref(body), join=bool(body.flag("join")))


async def create_clip(request: Request, api) -> JSONResponse:
    body = await json_body(request)
    req = clip_request(body)
    await ready_source(api, req.source)
    jobs = await api.run(lambda r: r.submit(req))
    if req.segments is not None and not req.join:
        return JSONResponse({"job_ids": [j.job_id for j in jobs], "status": "pending"})
    return JSONResponse({"job_id": jobs[0].job_id, "status": "pending"})


async def _job(api, request: Request, kinds: tuple[str, ...]):
    job = await api.db(api.library.get_job, job_id_param(request))
    if job.kind not in kinds:
        raise ApiError(404, "not_found", f"{job.job_id} is a {job.kind} job, not a {' or '.join(kinds)} job",
                       "job_id")
    return job


async def clip_status(request: Request, api) -> JSONResponse:
    return JSONResponse(job_view(api, request, await _job(api, request, CLIP_KINDS)))


async def create_captions(request: Request, api) -> JSONResponse:
    body = await json_body(request)
    file_id, clip_id = body.text("file_id", max_len=40), body.text("clip_id", max_len=40)
    if (file_id is None) == (clip_id is None):
        raise invalid("give exactly one of file_id or clip_id", "file_id" if file_id is None else "clip_id")
    if file_id is not None:
        await ready_source(api, file_id)
    elif not is_clip_id(clip_id):
        raise NotFound(f"no clip {clip_id[:40]!r}", field="clip_id")
    req = CaptionsRequest(file_id or clip_id, body.text("preset_ref", required=True, max_len=120),
                          body.text("quality", max_len=20))
    job = await api.run(lambda r: r.submit_captions(req))
    return JSONResponse({"job_id": job.job_id, "status": "pending", "reserved": 0})


async def captions_status(request: Request, api) -> JSONResponse:
    return JSONResponse(job_view(api, request, await _job(api, request, ("captions",))))


async def create_transcript(request: Request, api) -> JSONResponse:
    body = await json_body(request)
    file_id = body.text("file_id", required=True, max_len=40)
    await ready_source(api, file_id)
    job = await api.run(lambda r: r.submit_transcript(file_id))
    job = await api.wait_job(job.job_id)
    if job.status != "complete":
        e = job.error or {}
        return error_response(job_error_status(e), e.get("code", "processing_failed"),
                              e.get("message", "the transcript failed"), e.get("field"))
    media = await api.db(api.library.get_media, file_id)
    transcript = await api.db(cached_transcript, media.path, cache_dir=cache_dir(),
                              model_path=job.request.get("model_path"), language=job.request.get("language"))
    if transcript is None:
        return error_response(500, "processing_failed", f"the transcript was made but could not be kept in the "
                              f"cache folder {cache_dir()}", None)
    return JSONResponse(_transcript_json(transcript, job.job_id))


def _transcript_json(transcript, job_id: str) -> dict:
    d = transcript_dict(transcript)
    return {"text": d["text"], "segments": d["segments"], "duration": d["duration"], "cost": 0, "balance": None,
            "language": d.get("language"), "job_id": job_id}


_CLIP_BODY = {"type": "object", "required": ["file_id"], "properties": {
    "file_id": {"type": "string"}, "start": {"type": "number"}, "end": {"type": "number"},
    "segments": {"type": "array", "maxItems": 50, "items": {"type": "object", "properties": {
        "start": {"type": "number"}, "end": {"type": "number"}}}},
    "format": {"type": "string", "enum": ["mp4", "mp3", "wav", "m4a", "aac", "flac", "gif"]},
    "quality": {"type": "string", "enum": ["4k", "1080p", "720p", "high", "medium"]},
    "captions": {"type": "object", "properties": {"preset_ref": {"type": "string"}}},
    "mode": {"type": "string", "enum": ["keyframe", "precise"], "description": "local extension (default: the "
             "default_cut_mode setting)"},
    "join": {"type": "boolean", "description": "local extension: join the segments into one output"}}}
_FILE_BODY = {"type": "object", "required": ["file_id"], "properties": {"file_id": {"type": "string"}}}

ROUTES = [
    ApiRoute("POST", "/v1/clip", create_clip, "Manual trim: one range or up to 50 segments", "Clips",
             body=_CLIP_BODY, example={"job_id": "job_123456789abc", "status": "pending"}),
    ApiRoute("GET", "/v1/clip/{job_id}", clip_status, "Clip job status (with download_url when complete)", "Clips",
             example={"job_id": "job_123456789abc", "status": "complete", "progress": 100,
                      "status_message": "Done!", "download_url": "http://127.0.0.1:8484/v1/files/...",
                      "cost": 0, "balance": None}),
    ApiRoute("POST", "/v1/transcript", create_transcript, "Transcript of an upload (answers when it is made)",
             "Transcripts", body=_FILE_BODY),
    ApiRoute("POST", "/v1/captions", create_captions, "Burn captions into an upload or a clip (a new MP4)",
             "Captions", body={"type": "object", "required": ["preset_ref"], "properties": {
                 "file_id": {"type": "string"}, "clip_id": {"type": "string"}, "preset_ref": {"type": "string"},
                 "quality": {"type": "string"}}}),
    ApiRoute("GET", "/v1/captions/{job_id}", captions_status, "Caption job status", "Captions"),
]
