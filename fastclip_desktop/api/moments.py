"""AI auto-clip and analyze: ``POST /v1/clip/auto`` and ``POST /v1/clip/analyze``.

They are jobs of the one runner once the engine has them (``Runner.submit_auto`` and
``Runner.submit_analyze``, being built). Until then both answer 501 in the API's error shape (after
checking the body, so a malformed request is still a 400 naming the field).
Auto-clip answers at once with its job (its clips come in ``GET /v1/clip/{job_id}``); analyze
answers when its job has ended, with the segments it found, as the API does.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from engine import Runner

from .body import json_body
from .clips import captions_ref, ready_source
from .errors import error_response, job_error_status
from .routing import ApiRoute

MAX_QUERY = 500


def _not_yet(what: str):
    return error_response(501, "not_implemented", f"{what} is not in this version of FastClip Desktop yet", None)


async def auto_clip(request: Request, api) -> JSONResponse:
    body = await json_body(request)
    file_id = body.text("file_id", required=True, max_len=40)
    fields = {"query": body.text("query", max_len=MAX_QUERY), "format": body.text("format", max_len=20),
              "quality": body.text("quality", max_len=20), "captions": captions_ref(body)}
    if not hasattr(Runner, "submit_auto"):
        return _not_yet("AI auto-clip (POST /v1/clip/auto)")
    await ready_source(api, file_id)
    job = await api.run(lambda r: r.submit_auto(file_id, **fields))
    return JSONResponse({"job_id": job.job_id, "status": "pending", "reserved": 0})


async def analyze(request: Request, api) -> JSONResponse:
    body = await json_body(request)
    file_id = body.text("file_id", required=True, max_len=40)
    query = body.text("query", max_len=MAX_QUERY)
    if not hasattr(Runner, "submit_analyze"):
        return _not_yet("AI analyze (POST /v1/clip/analyze)")
    await ready_source(api, file_id)
    job = await api.run(lambda r: r.submit_analyze(file_id, query=query))
    job = await api.wait_job(job.job_id)
    if job.status != "complete":
        e = job.error or {}
        return error_response(job_error_status(e), e.get("code", "processing_failed"),
                              e.get("message", "the analysis failed"), e.get("field"))
    return JSONResponse({"segments": (job.result or {}).get("segments", []), "cost": 0, "balance": None,
                         "job_id": job.job_id})


_QUERY = {"type": "string", "maxLength": MAX_QUERY}
ROUTES = [
    ApiRoute("POST", "/v1/clip/auto", auto_clip, "AI auto-clip (501 until this version has it)", "AI",
             body={"type": "object", "required": ["file_id"], "properties": {
                 "file_id": {"type": "string"}, "query": _QUERY, "format": {"type": "string"},
                 "quality": {"type": "string"}, "captions": {"type": "object"}}}, statuses=(200, 501)),
    ApiRoute("POST", "/v1/clip/analyze", analyze, "AI analyze, no render (501 until this version has it)", "AI",
             body={"type": "object", "required": ["file_id"], "properties": {
                 "file_id": {"type": "string"}, "query": _QUERY}}, statuses=(200, 501)),
]
