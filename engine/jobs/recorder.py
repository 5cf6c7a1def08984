"""How the job runner records a job's end: what it made and its webhook event, in one transaction.

``Recorder.done`` records, by kind: an import's MediaInfo (the media row ready, or failed past the
duration limit) with ``upload.ready``/``upload.failed``; a clip's or a captioned copy's file as a
library clip with ``clip.complete``; a transcript's summary (the transcript itself is in the
transcript cache); an analysis's moments; an auto-clip's ``clips``, each of which ``Recorder.part``
recorded as a library clip while the job ran, with ``clip.auto.segment_complete`` (or
``clip.auto.segment_failed``). ``Recorder.failed`` ends a job as failed with its reason
(``upload.failed`` for an import, ``clip.failed`` for a clip, captions or auto-clip job) and
removes its temp files. A job
cancelled while it finished leaves nothing behind; a job whose output vanished before it was
recorded fails with the reason. Every change is told as one :class:`JobUpdate`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import remove_job_temps
from ..errors import (
    Cancelled,
    Conflict,
    FastClipError,
    Gone,
    InvalidRequest,
    NotFound,
    ProcessingFailed,
    UnsupportedMedia,
)
from ..library import Job, Library
from ..library.jobs import ENDED, RUNNING
from .payloads import auto_clip_json, job_payload, media_payload, segment_payload

MAKES_A_CLIP = ("clip", "captions")  # kinds whose output is recorded as a library clip
SENDS_CLIP_FAILED = ("clip", "captions", "auto")  # kinds whose failure is a clip.failed webhook


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
                elif job.kind == "auto":
                    ended = self._auto_done(job, value)
                else:  # a transcript's summary (the transcript is in the cache), an analysis's moments
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

    def part(self, job: Job, entry: dict) -> None:
        """One clip of a running auto-clip job: its file recorded as a library clip of the job (with
        ``clip.auto.segment_complete``), or its failure told (``clip.auto.segment_failed``). A clip
        that comes after its job was cancelled is deleted, not recorded."""
        lib = self.library
        try:
            with lib.transaction():
                now = lib.get_job(job.job_id)
                if now.status not in RUNNING or now.worker_token != job.worker_token:
                    raise Conflict(f"job {job.job_id} has ended", field="job_id")
                if entry.get("error"):
                    lib.queue_event("clip.auto.segment_failed", segment_payload(job, entry))
                    return
                v = entry["clip"]
                clip = lib.add_clip(path=v["path"], format=v["format"], duration=v["duration"],
                                    source_file_id=job.file_id, job_id=job.job_id, quality=v["quality"],
                                    aspect_ratio=v["aspect_ratio"], captioned=v["captioned"])
                lib.queue_event("clip.auto.segment_complete", segment_payload(job, entry, clip))
        except Conflict:
            if not entry.get("error"):
                with contextlib.suppress(OSError):
                    Path(entry["clip"]["path"]).unlink()
        except FastClipError as e:  # its file vanished before it was recorded
            with lib.transaction():
                lib.queue_event("clip.auto.segment_failed", segment_payload(job, {**entry, "error": e.to_dict()}))

    def _auto_done(self, job: Job, value: dict) -> Job:
        """An auto-clip's end: its ``clips`` (each the moment and the library clip ``part`` recorded,
        or an earlier attempt did); failed if it had moments and none became a clip."""
        lib = self.library
        clips, failed = [], []
        for entry in value["clips"]:
            clip = None if entry.get("error") else lib.clip_for_path(entry["path"])
            if clip is not None and clip.job_id == job.job_id:
                clips.append(auto_clip_json(entry, clip))
                continue
            error = entry.get("error") or NotFound(f"the clip {entry.get('path')} is not in the library",
                                                   field="path").to_dict()
            failed.append({k: entry[k] for k in ("index", "start", "end", "excerpt", "confidence") if k in entry}
                          | {"error": error})
        if failed and not clips:
            raise _error(failed[0]["error"])
        result = {"file_id": job.file_id, "query": value.get("query"), "clips": clips, "failed_segments": failed,
                  "segments": value.get("segments", [])}
        return lib.complete_job(job.job_id, result=result, claimed=job)

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
                elif job.kind in SENDS_CLIP_FAILED:
                    lib.queue_event("clip.failed", job_payload(ended))
        except Conflict:  # cancelled meanwhile: it has ended already (or was queued again since)
            ended = lib.get_job(job.job_id)
        self.ended(ended, out)

    def ended(self, ended: Job, out: str | None) -> None:
        """Tell the end of a job (and clean what a failed one left)."""
        if ended.status == "failed" and out:
            remove_job_temps(out)
        self.emit(JobUpdate.from_job(ended))



def _error(d: dict) -> FastClipError:
    """The engine error a job's error dict describes."""
    kinds = (InvalidRequest, NotFound, Conflict, Gone, UnsupportedMedia, ProcessingFailed, Cancelled)
    cls = next((k for k in kinds if k.code == d.get("code")), ProcessingFailed)
    return cls(d.get("message") or "failed", field=d.get("field"))
