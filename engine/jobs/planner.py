"""What the job runner is asked to do: imports, sources, and clip requests planned into jobs.

:class:`JobRequests` is the request half of :class:`engine.jobs.runner.Runner` (a mixin, as the
library's record classes are): a path is imported (probed in a worker) before it is used; a
``SOURCE`` may also be an import's file_id or a clip's clip_id; a :class:`ClipRequest` is
validated by ``engine.cut.request.validate`` (the one function with every rule) against the
source's MediaInfo, which a worker probed, and planned into one job per output, each with the
path its output will have. Nothing here touches PyAV.

A job's fingerprint is that of what the user asked for (the source's file_id, the request's
own fields, ``out`` as given, which output, the name chosen for it if any), not of the path
chosen for it, so asking again finds the job: a batch run again skips what it made and retries
what failed. An output may be given a name (``names``, e.g. a marked segment's label): its file
is called so (made safe for the file system) and its library clip is titled so.
"""

from __future__ import annotations

import dataclasses
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..cut.request import ClipRequest, Segment
from ..errors import (
    Conflict,
    FastClipError,
    Gone,
    InvalidRequest,
    NotFound,
    ProcessingFailed,
    UnsupportedMedia,
)
from ..library import MAX_TITLE, Job, Media, request_fingerprint
from ..library.jobs import RUNNING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from ..library import Library

    OnEvent = Callable[..., None]  # engine.jobs.runner.OnEvent

_FILE_ID = re.compile(r"^upl_[0-9a-f]{12}$")
_CLIP_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def source_kind(source: str) -> str:
    """"file_id", "clip_id" or "path": what a SOURCE argument names."""
    text = str(source)
    if _FILE_ID.match(text):
        return "file_id"
    if _CLIP_ID.match(text):
        return "clip_id"
    return "path"


# -- webhook payloads ------------------------------------------------------------------------------


def media_payload(media: Media) -> dict:
    """``upload.ready`` / ``upload.failed`` data: the API's upload status fields."""
    d = media.to_dict()
    d.pop("streams", None)
    return d


def job_payload(job: Job) -> dict:
    """``clip.complete`` / ``clip.failed`` data: the API's job status, then the result's fields."""
    d = {"job_id": job.job_id, "status": job.status, "progress": job.progress,
         "status_message": job.status_message, "file_id": job.file_id}
    if job.result:
        d.update(job.result)
    if job.error:
        d["error"] = job.error
    return d


def clip_payload(clip) -> dict:
    """``clip.expired`` data."""
    return clip.to_dict()


@dataclass(frozen=True, slots=True)
class PlannedJob:
    """One output of a clip request, before it is a job: the row to create and what identifies it."""

    job_id: str
    request: dict  # the job's request: one output, with the chosen "out" path
    fingerprint: str  # of what the user asked for (source, fields, out as given, which output)
    out_path: Path
    index: int
    count: int



class JobRequests:
    """The request methods of :class:`~engine.jobs.runner.Runner` (it runs the imports and probes)."""

    library: Library
    _infos: dict
    _import_errors: dict
    run_until_idle: Callable
    _idle: Callable
    _start_worker: Callable
    _pump: Callable

    def import_paths(self, paths: Iterable[str | os.PathLike], *, on_event: OnEvent | None = None,
                     clip_requested: bool = False) -> list[Media | FastClipError]:
        """Import files (probed in the workers); each result is the Media row (ready or failed
        with its reason) or the error that refused the file before it had a row."""
        results, jobs = self.queue_imports(paths, clip_requested=clip_requested)
        if jobs:
            self.run_until_idle(on_event, job_ids=[j.job_id for j in jobs])
        return [self.library.get_media(m.file_id) if isinstance(m, Media) else m for m in results]

    def queue_imports(self, paths: Iterable[str | os.PathLike], *, clip_requested: bool = False,
                      ) -> tuple[list[Media | FastClipError], list[Job]]:
        """Record files as imports and queue the import jobs of those not probed yet, without
        running them: each result is the Media row as it is now, or the error that refused the
        file; the jobs are those to wait for (a file imported before has none)."""
        results: list = []
        jobs: list[Job] = []
        for p in paths:
            try:
                media = self.library.add_media(p, clip_requested=clip_requested)
            except FastClipError as e:
                results.append(e)
                continue
            if media.status in ("pending", "processing"):
                jobs.append(self._import_job_for(media))
            results.append(media)
        return results, jobs

    def _import_job_for(self, media: Media) -> Job:
        for job in self.library.list_jobs(kind="import", file_id=media.file_id, limit=5):
            if not job.ended:
                return job  # queued or running already (here or in another process)
        return self.library.create_job("import", {"file_id": media.file_id})

    def import_error(self, media: Media) -> FastClipError:
        """The error to raise for a failed import (its job's code, else unsupported_media)."""
        err = self._import_errors.get(media.file_id)
        if err is None:
            job = next((j for j in self.library.list_jobs(kind="import", file_id=media.file_id, limit=1)
                        if j.status == "failed" and j.error), None)
            err = job.error if job else None
        cls = {"invalid_request": InvalidRequest, "processing_failed": ProcessingFailed}.get(
            (err or {}).get("code"), UnsupportedMedia)
        return cls(media.error or (err or {}).get("message") or f"the import of {media.filename} failed",
                   field="source")

    def resolve_source(self, source: str, *, on_event: OnEvent | None = None) -> Media:
        """The ready import ``source`` names: a file_id, a clip_id (its file, imported) or a path
        (imported first when it is new). Raises NotFound, Gone (moved, changed, expired),
        Conflict (an import that is not ready) or the failed import's error."""
        kind = source_kind(source)
        if kind == "file_id":
            return self.library.check_source(source)
        path = source
        if kind == "clip_id":
            clip = self.library.get_clip(source)  # NotFound, Gone when expired
            if not Path(clip.path).is_file():
                raise Gone(f"the file of clip {clip.title} was moved or deleted ({clip.path})", field="source")
            path = clip.path
        [media] = self.import_paths([path], on_event=on_event)
        if isinstance(media, FastClipError):
            raise media
        if media.status == "failed":
            raise self.import_error(media)
        if media.status != "ready":  # another process is importing it and has not finished
            raise Conflict(f"the import of {media.filename} is not ready (status {media.status})", field="source")
        return self.library.check_source(media.file_id)

    def media_info(self, file_id: str):
        """The MediaInfo of a ready import (probed in a worker once per runner)."""
        media = self.library.check_source(file_id)
        info = self._infos.get(file_id)
        if info is not None:
            return info
        w = self._idle() or self._start_worker()
        w.probing, w.reply = True, None
        w.conn.send(("probe", media.file_id, media.path))
        while w.probing:
            self._pump(1.0)
        kind, value = w.reply
        if kind == "error":
            raise value
        self._infos[file_id] = value
        return value

    # -- clip requests -----------------------------------------------------------------------------

    def plan(self, request: ClipRequest, out: str | os.PathLike | None = None, *,
             taken: set[Path] | None = None, names: Iterable[str | None] | None = None) -> list[PlannedJob]:
        """Validate ``request`` (its ``source`` is a file_id) and name the output of each of its jobs.

        ``out`` is the user's file or folder; None makes library clips (in the clips folder).
        ``names`` (one per output, each text or None) name the outputs: the file made in a folder
        (safe for the file system; " (2)" when taken) and the library clip's title; an output
        without a name gets the default ones.
        Raises InvalidRequest (a broken rule), Conflict/Gone/NotFound (the source).
        """
        from ..cut.outputs import plan_jobs
        from ..cut.request import validate

        file_id = str(request.source)
        if source_kind(file_id) != "file_id":
            raise InvalidRequest("plan a request whose source is an import's file_id", field="source")
        media = self.library.check_source(file_id)
        info = self.media_info(file_id)
        mode = request.mode or self.library.get_setting("default_cut_mode")
        req = dataclasses.replace(request, source=media.path, mode=mode)
        clip = validate(req, info)
        folder = str(self.library.clips_dir) + os.sep if out is None else out
        titles = _titles(names, len(clip.outputs))
        jobs = plan_jobs(clip, info, folder, taken=taken, names=titles)
        user = _user_fields(request)
        out_key = None if out is None else _out_key(out)
        shared = {"file_id": file_id, "format": clip.format, "quality": req.quality, "mode": clip.mode,
                  "captions": req.captions}
        planned = []
        for i, job in enumerate(jobs):
            if clip.join:
                part = {"segments": user["segments"], "join": True}
            elif req.segments is not None:
                part = dict(user["segments"][i])
            else:
                part = {"start": user["start"], "end": user["end"]}
            stored = {**shared, **part, "out": os.path.abspath(job.out_path)}
            asked = {"file_id": file_id, "request": user, "out": out_key, "output": i}
            if titles is not None and titles[i] is not None:
                stored["title"] = asked["name"] = titles[i]
            fp = request_fingerprint(asked)
            planned.append(PlannedJob(job.job_id, stored, fp, job.out_path, i, len(jobs)))
        return planned

    def submit(self, request: ClipRequest, out: str | os.PathLike | None = None, *, reuse: bool = False,
               taken: set[Path] | None = None, names: Iterable[str | None] | None = None) -> list[Job]:
        """Plan ``request`` (``names``: see :meth:`plan`) and queue its jobs (in output order).

        With ``reuse`` (a batch run again), an output already made by a complete job whose clip
        is still there is not made again (that job is returned), one queued or running is
        adopted, and a failed one is queued again.
        """
        lib = self.library
        jobs = []
        planned = self.plan(request, out, taken=taken, names=names)
        with lib.transaction():  # all of the request's jobs, or none
            for p in planned:
                jobs.append(self._queue(p, reuse))
        return jobs

    def _queue(self, p: PlannedJob, reuse: bool) -> Job:
        lib = self.library
        if reuse:
            prev = lib.latest_job_with_fingerprint(p.fingerprint)
            if prev is not None:
                if prev.status == "complete" and self._clip_still_there(prev):
                    return prev  # made before, and still there
                if prev.status in ("pending", *RUNNING):
                    return prev  # queued or running already: waited for, not made twice
                if prev.status == "failed":
                    return lib.retry_job(prev.job_id)
        return lib.create_job("clip", p.request, job_id=p.job_id, fingerprint=p.fingerprint)

    def _clip_still_there(self, job: Job) -> bool:
        clip_id = (job.result or {}).get("clip_id")
        if not clip_id:
            return False
        try:
            clip = self.library.get_clip(clip_id)
        except (NotFound, Gone):
            return False
        return Path(clip.path).is_file()


# -- helpers ---------------------------------------------------------------------------------------


def _user_fields(req: ClipRequest) -> dict:
    """What the user asked for, as JSON (the request's own values, not the validated ones)."""
    segments = None if req.segments is None else [
        {"start": s.start, "end": s.end} if isinstance(s, Segment) else {"start": s[0], "end": s[1]}
        for s in req.segments]
    return {"start": req.start, "end": req.end, "segments": segments, "format": req.format,
            "quality": req.quality, "mode": req.mode, "captions": req.captions, "join": bool(req.join)}


def _titles(names, count: int) -> list[str | None] | None:
    """The names given for ``count`` outputs, checked and stripped (a blank one is None)."""
    if names is None:
        return None
    if isinstance(names, (str, bytes)) or not hasattr(names, "__iter__"):
        raise InvalidRequest("names must be a list, one per output", field="names")
    names = list(names)
    if len(names) != count:
        raise InvalidRequest(f"{len(names)} names were given for {count} outputs", field="names")
    titles = []
    for i, name in enumerate(names):
        if name is not None and not isinstance(name, str):
            raise InvalidRequest(f"an output's name must be text, not {name!r}", field=f"names[{i}]")
        name = (name or "").strip()
        if len(name) > MAX_TITLE or any(unicodedata.category(c) == "Cc" for c in name):
            raise InvalidRequest(f"an output's name must be one line of at most {MAX_TITLE} characters: {name!r}",
                                 field=f"names[{i}]")
        titles.append(name or None)
    return titles


def _out_key(out: str | os.PathLike) -> str:
    """The user's output as an absolute path; a folder keeps its trailing separator."""
    text = str(out)
    folder = text.endswith(("/", os.sep)) or Path(text).expanduser().is_dir()
    return os.path.abspath(os.path.expanduser(text)) + (os.sep if folder else "")
