"""How the job runner records a job's end: what it made and its webhook event, in one transaction.

``Recorder.done`` records, by kind: an import's MediaInfo (the media row ready, or failed past the
duration limit) with ``upload.ready``/``upload.failed``; a clip's or a captioned copy's file as a
library clip with ``clip.complete``; a transcript's summary (the transcript itself is in the
transcript cache). ``Recorder.failed`` ends a job as failed with its reason (``upload.failed``
for an import, ``clip.failed`` for a clip or a captions job) and removes its temp files. A job
cancelled while it finished leaves nothing behind; a job whose output vanished before it was
recorded fails with the reason. Every change is told as one :class:`JobUpdate`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import remove_job_temps
from ..errors import Conflict, FastClipError, InvalidRequest
from ..library import Job, Library
from ..library.jobs import ENDED
from .payloads import job_payload, media_payload

MAKES_A_CLIP = ("clip", "captions")  # kinds whose output is recorded as a library clip


@dataclass(frozen=True, slots=True)
class JobUpdate:
    """A job's status as it changes (the API's job status fields): the one event of every kind."""

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


@dataclass
class SourceFacts:
    """What the runner learnt of sources this run: their MediaInfo (probed in a worker) and the
    error of their last failed import."""

    infos: dict = field(default_factory=dict)  # file_id -> MediaInfo
    import_errors: dict = field(default_factory=dict)  # file_id -> error dict


class Recorder:
    def __init__(self, library: Library, facts: SourceFacts, emit: OnEvent):
        self.library, self.facts, self.emit = library, facts, emit

    def done(self, job: Job, out: str | None, value) -> None:
        lib = self.library
        try:
            with lib.transaction():
                if job.kind == "import":
                    ended = self._imported(job, value)
                elif job.kind in MAKES_A_CLIP:
                    extra = {k: value[k] for k in ("start", "segments", "width", "height", "video", "cut") if k in value}
                    source_file_id = job.file_id
                    ended, _ = lib.complete_clip_job(
                        job.job_id, source_file_id=source_file_id, path=value["path"], format=value["format"],
                        duration=value["duration"], quality=value["quality"], aspect_ratio=value["aspect_ratio"],
                        captioned=value["captioned"], title=(job.request or {}).get("title"),
                        result={**extra, "file_id": source_file_id}, claimed=job)
                    lib.queue_event("clip.complete", job_payload(ended))
                else:  # a transcript: the summary (the transcript is in the cache)
                    ended = lib.complete_job(job.job_id, result=value, claimed=job)
        except Conflict:  # cancelled while it finished (and maybe queued again since)
            ended = lib.get_job(job.job_id)
            if job.kind in MAKES_A_CLIP and ended.ended:  # leave nothing behind; a new attempt writes its own
                with contextlib.suppress(OSError):
                    Path(value["path"]).unlink()
        except FastClipError as e:  # the output vanished before it was recorded, ...
            self.failed(job, out, e)
            return
        if job.kind == "import" and ended.status == "complete":
            self.facts.infos[job.file_id] = value
        self.ended(ended, out)

    def _imported(self, job: Job, info) -> Job:
        lib = self.library
        media = lib.mark_media_ready(job.file_id, info)
        if media.status == "ready":
            ended = lib.complete_job(job.job_id, result=media_payload(media), claimed=job)
            lib.queue_event("upload.ready", media_payload(media))
            return ended
        error = InvalidRequest(media.error, field="duration")  # longer than the limit
        ended = lib.fail_job(job.job_id, error, claimed=job)
        lib.queue_event("upload.failed", media_payload(media))
        self.facts.import_errors[job.file_id] = error.to_dict()
        return ended

    def failed(self, job: Job, out: str | None, error: FastClipError) -> None:
        lib = self.library
        try:
            with lib.transaction():
                ended = lib.fail_job(job.job_id, error, claimed=job)
                if job.kind == "import":
                    media = lib.mark_media_failed(job.file_id, error)
                    lib.queue_event("upload.failed", media_payload(media))
                    self.facts.import_errors[job.file_id] = error.to_dict()
                elif job.kind in MAKES_A_CLIP:
                    lib.queue_event("clip.failed", job_payload(ended))
        except Conflict:  # cancelled meanwhile: it has ended already (or was queued again since)
            ended = lib.get_job(job.job_id)
        self.ended(ended, out)

    def ended(self, ended: Job, out: str | None) -> None:
        """Tell the end of a job (and clean what a failed one left)."""
        if ended.status == "failed" and out:
            remove_job_temps(out)
        self.emit(JobUpdate.from_job(ended))
