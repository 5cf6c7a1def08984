"""Jobs, imports and clips as the FastClip API shows them: the one place their JSON is shaped, for
``fastclip ... --json``, the local API and the webhook payloads.

A clip job has the fields of ``GET /v1/clip/{job_id}`` at the top level (``job_id``, ``status``,
``progress``, ``status_message``, ``file_name``, ``format``, ``quality``, ``aspect_ratio``,
``saved_to_library``, ``clip_id``, ``download_url``); a captions job those of
``GET /v1/captions/{job_id}`` (``captioned``, ``clip_id``, ``download_url``, ...); our extras (the
``path``, the real ``start``, ``segments``, ``duration``, ``kind``, ``error``) go beside them, and
so does ``cut``, the cut report: how the output's video was made (``video``: copy, smart or
encode; seconds re-encoded at the head and tail and copied; a smart cut's boundary PSNR).
An analyze job shows its moments as the API's ``segments``; an auto job its clips as ``clips``.
``download_url`` is the output's ``file://`` URL here (the local API serves its own).
"""

from __future__ import annotations

from pathlib import Path

from ..library import Job, Media

API_CLIP_FIELDS = ("job_id", "status", "progress", "status_message", "file_name", "format", "quality",
                   "aspect_ratio", "saved_to_library", "clip_id", "download_url")
API_CAPTIONS_FIELDS = ("job_id", "status", "progress", "captioned", "clip_id", "download_url")


def download_url(path: str | None) -> str | None:
    """The ``file://`` URL of an output (None when there is none)."""
    return Path(path).resolve().as_uri() if path else None


def media_payload(media: Media) -> dict:
    """``upload.ready`` / ``upload.failed`` data: the API's upload status fields."""
    d = media.to_dict()
    d.pop("streams", None)
    return d


MOMENT_FIELDS = ("start", "end", "excerpt", "confidence", "reasons")


def auto_clip_json(entry: dict, clip) -> dict:
    """One of an auto-clip job's ``clips``: the moment (the API's start, end, excerpt, confidence,
    and our reasons) and the library clip made of it."""
    d = {k: entry.get(k) for k in MOMENT_FIELDS}
    d.update({k: v for k, v in clip.to_dict().items() if k in (
        "clip_id", "file_name", "path", "format", "quality", "duration", "aspect_ratio", "captioned",
        "saved_to_library", "expires_at")})
    d["download_url"] = download_url(clip.path)
    return d


def segment_payload(job: Job, entry: dict, clip=None) -> dict:
    """``clip.auto.segment_complete`` (with the clip) / ``clip.auto.segment_failed`` (with the error)
    data: the auto job, which of its moments, and what became of it."""
    d = {"job_id": job.job_id, "file_id": job.file_id, "segment_index": entry.get("index")}
    d.update({k: entry.get(k) for k in MOMENT_FIELDS})
    if clip is not None:
        d.update(clip_id=clip.clip_id, format=clip.format, quality=clip.quality, duration=clip.duration,
                 download_url=download_url(clip.path), path=clip.path)
    else:
        d["error"] = entry.get("error")
    return d


def _moment_first(m) -> dict:
    if not isinstance(m, dict):
        return m
    first = {k: m[k] for k in MOMENT_FIELDS if k in m}
    return {**first, **{k: v for k, v in m.items() if k not in first}}


def clip_payload(clip) -> dict:
    """``clip.expired`` data."""
    return clip.to_dict()


def job_payload(job: Job) -> dict:
    """``clip.complete`` / ``clip.failed`` data: the job as the API shows it (see :func:`job_json`)."""
    return job_json(job)


def job_json(job: Job, path: str | None = None) -> dict:
    """The job as the API shows a job of its kind, with our extras beside the API's fields.

    ``path`` overrides where the output is said to be (the CLI names the path the user gave).
    """
    if job.kind == "clip":
        d = _output_json(job, API_CLIP_FIELDS, path)
    elif job.kind == "captions":
        d = _output_json(job, API_CAPTIONS_FIELDS, path)
    else:
        d = {"job_id": job.job_id, "kind": job.kind, "status": job.status, "progress": job.progress,
             "status_message": job.status_message, "file_id": job.file_id}
        if job.status == "complete" and job.result:
            d.update({k: v for k, v in job.result.items() if k not in d})
            for key in ("segments", "clips", "failed_segments"):  # the API's field order (stored sorted)
                if isinstance(d.get(key), list):
                    d[key] = [_moment_first(m) for m in d[key]]
        if job.error is not None:
            d["error"] = job.error
    d.update(attempts=job.attempts, created_at=job.created_at, started_at=job.started_at,
             finished_at=job.finished_at)
    if job.worker_address:  # run on a cluster: the worker of its last attempt
        d["worker_address"] = job.worker_address
    return d


def _output_json(job: Job, fields: tuple[str, ...], path: str | None) -> dict:
    """A job that makes a file (a clip, a captioned copy): the API's fields first, then ours."""
    r = job.result or {}
    done = job.status == "complete"
    out = (path or r.get("path")) if done else None
    values = {
        "job_id": job.job_id, "status": job.status, "progress": job.progress,
        "status_message": job.status_message,
        "file_name": r.get("file_name") if done else None,
        "format": r.get("format") if done else None,
        "quality": r.get("quality") if done else None,
        "aspect_ratio": r.get("aspect_ratio") if done else None,
        "saved_to_library": bool(r.get("saved_to_library")) if done else False,
        "clip_id": r.get("clip_id") if done else None,
        "download_url": download_url(r.get("path")) if done else None,
        "captioned": bool(r.get("captioned")) if done else False,
    }
    d = {k: values[k] for k in fields}
    d["kind"] = job.kind
    for k, v in values.items():  # the clip fields a captions job's status does not name
        d.setdefault(k, v)
    d["duration"] = round(float(r["duration"]), 6) if done and r.get("duration") is not None else None
    d["path"] = out
    d["file_id"] = job.file_id
    if done:
        for k in ("start", "segments", "expires_at", "cut"):
            d[k] = r.get(k)
    if job.error is not None:
        d["error"] = job.error
    return d
