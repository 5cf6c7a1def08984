"""AI auto-clip and analyze: ``POST /v1/clip/auto`` and ``POST /v1/clip/analyze``.

Both are jobs of the one runner (``Runner.submit_auto``, ``Runner.submit_analyze``), found by the
engine's Moments (engine/moments: the transcript, a sentence-embedding model and the audio, all on
this machine). Auto-clip answers at once with its job; its clips come in ``GET /v1/clip/{job_id}``
as ``clips``, each with its moment (start, end, excerpt, confidence) and its library clip. Analyze
answers when its job has ended, with the ``segments`` it found, as the API does; the same file and
options asked again are answered from the analysis already made.

The seed's fields: ``file_id``, ``query`` (at most 500 characters; none means general highlights),
and for auto-clip ``format`` (no GIF), ``quality`` and ``captions`` (MP4 video only). Local
extensions: ``count`` (how many moments at most, default 5), ``min_duration`` and
``max_duration`` (seconds, default 15 and 60; a moment's clip is at most 10 minutes), and for
auto-clip ``mode`` (keyframe or precise, as ``POST /v1/clip``).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from engine import (
    MAX_COUNT,
    MAX_QUERY,
    AnalyzeRequest,
    AutoClipRequest,
    FastClipError,
    job_json,
)

from .body import Fields, json_body
from .clips import captions_ref, ready_source
from .errors import error_response, job_error_status
from .routing import ApiRoute


def _options(body: Fields) -> dict:
    return {"query": body.text("query", max_len=MAX_QUERY), "count": body.whole("count", low=1, high=MAX_COUNT),
            "min_duration": body.number("min_duration"), "max_duration": body.number("max_duration")}


async def _submit(api, fn):
    """``fn(runner)`` on the job thread; the engine's ``source`` is the request's ``file_id``."""
    try:
        return await api.run(fn)
    except FastClipError as e:
        if e.field == "source":
            e.field = "file_id"
        raise


async def auto_clip(request: Request, api) -> JSONResponse:
    body = await json_body(request)
    file_id = body.text("file_id", required=True, max_len=40)
    req = AutoClipRequest(file_id, **_options(body), format=body.text("format", max_len=20),
                          quality=body.text("quality", max_len=20), mode=body.text("mode", max_len=20),
                          captions=captions_ref(body))
    await ready_source(api, file_id)
    job = await _submit(api, lambda r: r.submit_auto(req))
    return JSONResponse({"job_id": job.job_id, "status": "pending", "reserved": 0})


async def analyze(request: Request, api) -> JSONResponse:
    body = await json_body(request)
    file_id = body.text("file_id", required=True, max_len=40)
    req = AnalyzeRequest(file_id, **_options(body))
    await ready_source(api, file_id)
    job = await _submit(api, lambda r: r.submit_analyze(req, reuse=True))
    job = await api.wait_job(job.job_id)
    if job.status != "complete":
        e = job.error or {}
        return error_response(job_error_status(e), e.get("code", "processing_failed"),
                              e.get("message", "the analysis failed"), e.get("field"))
    return JSONResponse({"segments": job_json(job).get("segments", []), "cost": 0, "balance": None,
                         "job_id": job.job_id})


_QUERY = {"type": "string", "maxLength": MAX_QUERY, "description": "what to find, in words (none: general "
          "highlights); ranked by meaning, not shared words"}
_LOCAL = {
    "count": {"type": "integer", "minimum": 1, "maximum": MAX_COUNT,
              "description": "local extension: at most this many moments (default 5; fewer when fewer are good)"},
    "min_duration": {"type": "number", "description": "local extension: seconds (default 15)"},
    "max_duration": {"type": "number", "maximum": 600, "description": "local extension: seconds (default 60)"},
}
_SEGMENT = {"start": 42.1, "end": 71.3, "excerpt": "...we saw churn rise after onboarding changes...",
            "confidence": 0.93, "reasons": ["matches the query", "a question and its answer"]}

ROUTES = [
    ApiRoute("POST", "/v1/clip/auto", auto_clip, "AI auto-clip: find the best moments and make a clip of each",
             "AI", body={"type": "object", "required": ["file_id"], "properties": {
                 "file_id": {"type": "string"}, "query": _QUERY,
                 "format": {"type": "string", "enum": ["mp4", "mp3", "wav", "m4a", "aac", "flac"]},
                 "quality": {"type": "string", "enum": ["4k", "1080p", "720p", "high", "medium"]},
                 "captions": {"type": "object", "properties": {"preset_ref": {"type": "string"}},
                              "description": "MP4 output of a video source only"},
                 "mode": {"type": "string", "enum": ["keyframe", "precise"], "description": "local extension"},
                 **_LOCAL}},
             example={"job_id": "job_123456789abc", "status": "pending", "reserved": 0}),
    ApiRoute("POST", "/v1/clip/analyze", analyze, "AI analyze, no render: timestamped moments (answers when found)",
             "AI", body={"type": "object", "required": ["file_id"], "properties": {
                 "file_id": {"type": "string"}, "query": _QUERY, **_LOCAL}},
             example={"segments": [_SEGMENT], "cost": 0, "balance": None, "job_id": "job_123456789abc"}),
]
