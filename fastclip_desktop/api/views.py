"""The JSON of uploads, jobs and clips as the FastClip API shows them, with this server's URLs.

Jobs are shaped by the engine (``job_json``: the API's fields first, our extras beside them); here
the ``file://`` download_url becomes a signed URL of this server, and the fields of the cloud API
that mean nothing locally are there with their local value: ``cost`` 0, ``balance`` null,
``share_url`` and ``embed_url`` null (there are no public share pages), ``expires_at`` null for
an upload (uploaded files are kept).
"""

from __future__ import annotations

from starlette.requests import Request

from engine import job_json

UPLOAD_FIELDS = ("file_id", "status", "filename", "content_type", "file_size", "duration", "duration_seconds",
                 "max_height", "format_detected", "media_kind", "has_video", "has_audio", "error", "created_at",
                 "expires_at", "clip_requested", "clip_job_id")


def upload_view(upload, media) -> dict:
    """GET /v1/upload/{file_id}: from the import once the bytes came, else from the upload asked for."""
    if media is not None:
        d = media.to_dict()
        d["expires_at"] = None
        if upload is not None:
            d["filename"] = upload.filename
        return {k: d.get(k) for k in UPLOAD_FIELDS}
    return {"file_id": upload.file_id, "status": "pending", "filename": upload.filename,
            "content_type": upload.content_type, "file_size": upload.file_size, "duration": None,
            "duration_seconds": None, "max_height": None, "format_detected": None, "media_kind": None,
            "has_video": None, "has_audio": None, "error": None, "created_at": upload.created_at,
            "expires_at": None, "clip_requested": upload.clip is not None, "clip_job_id": None}


def local_fields(d: dict) -> dict:
    d.update(share_url=None, embed_url=None, cost=0, balance=None)
    return d


def job_view(api, request: Request, job) -> dict:
    """GET /v1/clip/{job_id} and GET /v1/captions/{job_id}; an auto-clip's ``clips`` each with its
    download_url here (none for a moment whose clip failed)."""
    d = job_json(job)
    if "download_url" in d:
        d["download_url"] = api.download_url(request, d.get("clip_id")) if job.status == "complete" else None
    for clip in d.get("clips") or ():
        if isinstance(clip, dict):
            clip["download_url"] = api.download_url(request, clip.get("clip_id"))
    return local_fields(d)


def clip_view(api, request: Request, clip) -> dict:
    """A library clip (GET /v1/clips), with its download_url."""
    d = clip.to_dict()
    d["download_url"] = api.download_url(request, clip.clip_id) if clip.status == "available" else None
    d["share_url"] = d["embed_url"] = None
    return d
