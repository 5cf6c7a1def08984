"""How the job runner records a job's end: its clip or import, its webhook event, in one transaction.

A mixin of :class:`engine.jobs.runner.Runner` (kept apart so runner.py holds the worker loop). A job
cancelled while it finished leaves nothing behind; a job whose output vanished before it was
recorded fails with the reason; a failed job's temp files are removed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import Conflict, FastClipError, InvalidRequest
from ..library import Job, Library
from .planner import job_payload, media_payload
from .pool import remove_job_temps

ENDED = ("complete", "failed")


@dataclass(frozen=True, slots=True)
class JobUpdate:
    """A job's status as it changes (the API's job status fields)."""

    job_id: str
    kind: str
    status: str
    progress: int
    status_message: str
    file_id: str | None = None
    result: dict | None = None
    error: dict | None = None

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    @classmethod
    def from_job(cls, job: Job) -> JobUpdate:
        return cls(job.job_id, job.kind, job.status, job.progress, job.status_message, job.file_id,
                   job.result, job.error)


OnEvent = Callable[[JobUpdate], None]




class JobResults:
    """Needs ``library``, ``_infos``, ``_import_errors`` and ``_emit`` from the Runner."""

    library: Library
    _infos: dict
    _import_errors: dict
    _emit: Callable

    def _record_done(self, job: Job, out: str | None, value) -> None:
        lib = self.library
        try:
            with lib.transaction():
                if job.kind == "import":
                    media = lib.mark_media_ready(job.file_id, value)
                    if media.status == "ready":
                        ended = lib.complete_job(job.job_id, result=media_payload(media), claimed=job)
                        lib.queue_event("upload.ready", media_payload(media))
                    else:  # longer than the limit: recorded as failed, with the reason
                        error = InvalidRequest(media.error, field="duration")
                        ended = lib.fail_job(job.job_id, error, claimed=job)
                        lib.queue_event("upload.failed", media_payload(media))
                        self._import_errors[job.file_id] = error.to_dict()
                else:
                    extra = {k: value[k] for k in ("start", "segments", "width", "height", "video")}
                    ended, _ = lib.complete_clip_job(
                        job.job_id, source_file_id=job.file_id, path=value["path"], format=value["format"],
                        duration=value["duration"], quality=value["quality"], aspect_ratio=value["aspect_ratio"],
                        captioned=value["captioned"], title=(job.request or {}).get("title"),
                        result={**extra, "file_id": job.file_id}, claimed=job)
                    lib.queue_event("clip.complete", job_payload(ended))
        except Conflict:  # cancelled while it finished (and maybe queued again since)
            ended = lib.get_job(job.job_id)
            if job.kind == "clip" and ended.ended:  # leave nothing behind; a new attempt writes its own
                with contextlib.suppress(OSError):
                    Path(value["path"]).unlink()
        except FastClipError as e:  # the output vanished before it was recorded, ...
            self._record_failed(job, out, e)
            return
        if job.kind == "import" and ended.status == "complete":
            self._infos[job.file_id] = value
        self._ended(ended, out)

    def _record_failed(self, job: Job, out: str | None, error: FastClipError) -> None:
        self._ended(self._fail(job, error), out)

    def _fail(self, job: Job, error: FastClipError) -> Job:
        lib = self.library
        try:
            with lib.transaction():
                ended = lib.fail_job(job.job_id, error, claimed=job)
                if job.kind == "import":
                    media = lib.mark_media_failed(job.file_id, error)
                    lib.queue_event("upload.failed", media_payload(media))
                    self._import_errors[job.file_id] = error.to_dict()
                else:
                    lib.queue_event("clip.failed", job_payload(ended))
        except Conflict:  # cancelled meanwhile: it has ended already (or was queued again since)
            ended = lib.get_job(job.job_id)
        return ended

    def _ended(self, ended: Job, out: str | None) -> None:
        if ended.status == "failed" and out:
            remove_job_temps(out)
        self._emit(JobUpdate.from_job(ended))
