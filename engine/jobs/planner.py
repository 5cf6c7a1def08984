"""What the job runner is asked to do: imports, sources, and requests planned into jobs.

A :class:`Planner` turns what a front end asks into library jobs: a path is imported (probed in a
worker) before it is used; a ``SOURCE`` may also be an import's file_id or a clip's clip_id; a
:class:`ClipRequest` is validated by ``engine.cut.request.validate`` (the one function with every
rule) against the source's MediaInfo, which a worker probed, and planned into one job per output,
each with the path its output will have; a :class:`CaptionsRequest` (POST /v1/captions) becomes
one captions job, a transcript request one transcript job, and analyze and auto-clip requests one
job each (``engine.jobs.moment_requests``). Nothing here touches PyAV.

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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..cut.outputs import plan_jobs
from ..cut.request import (
    CaptionsRequest,
    ClipRequest,
    Segment,
    validate,
    validate_captions,
)
from ..errors import (
    Conflict,
    FastClipError,
    Gone,
    InvalidRequest,
    NotFound,
    ProcessingFailed,
    UnsupportedMedia,
)
from ..formats import canonical_format
from ..library import MAX_TITLE, Clip, Job, Library, Media, request_fingerprint
from ..library.jobs import RUNNING
from ..naming import unique_path
from ..paths import cache_dir as default_cache_dir
from .moment_requests import MomentRequests
from .recorder import OnEvent, SourceFacts

_FILE_ID = re.compile(r"^upl_[0-9a-f]{12}$")
_CLIP_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

Probe = Callable[[str, str], object]  # (key, path) -> MediaInfo, probed in a worker
RunJobs = Callable[[OnEvent | None, list[str]], dict]  # run these jobs until they end


def source_kind(source: str) -> str:
    """"file_id", "clip_id" or "path": what a SOURCE argument names."""
    text = str(source)
    if _FILE_ID.match(text):
        return "file_id"
    if _CLIP_ID.match(text):
        return "clip_id"
    return "path"


@dataclass(frozen=True, slots=True)
class PlannedJob:
    """One output of a clip request, before it is a job: the row to create and what identifies it."""

    job_id: str
    request: dict  # the job's request: one output, with the chosen "out" path
    fingerprint: str  # of what the user asked for (source, fields, out as given, which output)
    out_path: Path
    index: int
    count: int



class Planner(MomentRequests):
    """Requests into jobs, for a runner: ``probe(key, path)`` asks a worker for a MediaInfo, and
    ``run(on_event, job_ids)`` runs jobs until they end (imports, before a source is used)."""

    def __init__(self, library: Library, facts: SourceFacts, probe: Probe, run: RunJobs):
        self.library, self.facts, self._probe, self._run = library, facts, probe, run

    def import_paths(self, paths: Iterable[str | os.PathLike], *, on_event: OnEvent | None = None,
                     clip_requested: bool = False) -> list[Media | FastClipError]:
        """Import files (probed in the workers); each result is the Media row (ready or failed
        with its reason) or the error that refused the file before it had a row."""
        results, jobs = self.queue_imports(paths, clip_requested=clip_requested)
        if jobs:
            self._run(on_event, [j.job_id for j in jobs])
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
        err = self.facts.import_errors.get(media.file_id)
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
        info = self.facts.infos.get(file_id)
        if info is None:
            info = self.facts.infos[file_id] = self._probe(media.file_id, media.path)
        return info

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
                jobs.append(self._queue("clip", p.request, p.fingerprint, reuse, job_id=p.job_id))
        return jobs

    def _queue(self, kind: str, request: dict, fingerprint: str, reuse: bool, *, job_id: str | None = None,
               still_there: Callable[[Job], bool] | None = None) -> Job:
        """A new job; with ``reuse``, the job already asked for the same thing when there is one:
        complete with its output still there (``still_there``, default: its library clip), queued
        or running (waited for, not made twice), or failed (queued again)."""
        lib = self.library
        if reuse:
            prev = lib.latest_job_with_fingerprint(fingerprint)
            if prev is not None:
                if prev.status == "complete" and (still_there or self._output_still_there)(prev):
                    return prev
                if prev.status in ("pending", *RUNNING):
                    return prev
                if prev.status == "failed":
                    return lib.retry_job(prev.job_id)
        return lib.create_job(kind, request, job_id=job_id, fingerprint=fingerprint)

    # -- captions and transcripts -----------------------------------------------------------------

    def submit_captions(self, request: CaptionsRequest, out: str | os.PathLike | None = None, *,
                        reuse: bool = False) -> Job:
        """Queue the captions job of ``request`` (POST /v1/captions): its source is a path or an
        import's file_id (captioned whole), or a library clip's clip_id (an MP4 not captioned
        yet). ``out`` is an .mp4 file or a folder; None makes a library clip. Raises before a job
        exists when the request is refused (the source, the preset, the output)."""
        source = str(request.source)
        if source_kind(source) == "clip_id":
            clip = self.caption_clip(source)
            file_id, clip_id, path, key = clip.source_file_id, clip.clip_id, clip.path, f"clip:{clip.clip_id}"
            info = self.facts.infos.get(key)
            if info is None:
                info = self.facts.infos[key] = self._probe(key, path)
        else:
            media = self.resolve_source(source)
            file_id, clip_id, path = media.file_id, None, media.path
            info = self.media_info(file_id)
        clip = validate_captions(dataclasses.replace(request, source=path), info)
        self._check_preset(clip.captions)
        target = self._captions_out(path, out)
        stored = {"file_id": file_id, "clip_id": clip_id, "preset_ref": clip.captions, "quality": request.quality,
                  "out": str(target)}
        asked = {"file_id": file_id, "clip_id": clip_id, "preset_ref": clip.captions, "quality": request.quality,
                 "out": None if out is None else _out_key(out)}
        return self._queue("captions", stored, request_fingerprint({"captions": asked}), reuse)

    def caption_clip(self, clip_id: str) -> Clip:
        """The library clip ``clip_id`` if it can be captioned (POST /v1/captions with clip_id), else
        the error refusing it: an expired or unknown clip (NotFound), one captioned already, not an
        MP4, whose file or import is gone."""
        clip = self.library.get_clip(clip_id)
        if clip.captioned:
            raise InvalidRequest(f"the clip {clip.title} is captioned already, and captioned clips cannot be "
                                 "captioned again", field="clip_id")
        if clip.format != "mp4":
            raise InvalidRequest(f"captions are burned into video: the clip {clip.title} is {clip.format}, "
                                 "not mp4", field="clip_id")
        if not Path(clip.path).is_file():
            raise Gone(f"the file of the clip {clip.title} was moved or deleted (it was {clip.path})",
                       field="clip_id")
        if clip.source_file_id is None:
            raise Gone(f"the import the clip {clip.title} was made from was deleted from the library",
                       field="clip_id")
        return clip

    def _check_preset(self, ref: str) -> None:
        """An unknown preset is refused before a job exists. (The captions package is imported here,
        not at the top: fontTools and Pillow cost ~90 ms, which a clip command never needs.)"""
        from ..captions.custom import resolve_preset

        try:
            resolve_preset(ref, self.library)
        except FastClipError as e:
            raise type(e)(e.message, field="preset_ref") from None

    def _captions_out(self, source_path: str, out) -> Path:
        """The captioned copy's path: ``<stem>_captioned.mp4`` in the clips folder (None) or in a
        folder; or the .mp4 file given."""
        name = f"{Path(source_path).stem}_captioned.mp4"
        if out is None:
            path = unique_path(self.library.clips_dir, name)
        elif Path(out).expanduser().is_dir() or str(out).endswith(("/", os.sep)):
            path = unique_path(Path(out).expanduser(), name)
        else:
            path = Path(out).expanduser()
            if path.suffix and canonical_format(path.suffix) != "mp4":
                raise InvalidRequest(f"captions are burned into an MP4, so the output cannot be {path.name}",
                                     field="out")
            path = path if path.suffix else path.with_suffix(".mp4")
        if path.resolve() == Path(source_path).resolve():
            raise InvalidRequest("the output would overwrite the source file", field="out")
        return path.absolute()

    def submit_transcript(self, source: str, *, model_path: str | None = None, language: str | None = None,
                          fresh: bool = False, cache_dir: str | None = None, reuse: bool = False) -> Job:
        """Queue the transcript job of ``source`` (POST /v1/transcript); the model is ``model_path``,
        else the library's ``whisper_model_path`` setting, else the built-in one. ``fresh``: listen
        again even when the transcript is cached. ``cache_dir``: the transcript cache to use (default:
        the app's). With ``reuse`` (a batch run again), a complete job whose transcript is still in
        the cache is returned, one queued or running adopted, a failed one queued again."""
        media = self.resolve_source(source)
        if not media.has_audio:
            raise InvalidRequest(f"{media.filename} has no audio track, so it has nothing to transcribe",
                                 field="source")
        model = model_path or self.library.get_setting("whisper_model_path") or None
        # (here, not at the top: the transcript package brings PyAV's audio decoding, ~200 ms that
        # a clip command never needs)
        from ..transcript.speech_model import resolve_model_path

        resolve_model_path(model)  # a folder that is no model is refused before a job exists
        request = {"file_id": media.file_id, "model_path": model, "language": language}
        if fresh:
            request["fresh"] = True
        if cache_dir:
            request["cache_dir"] = str(cache_dir)
        if not reuse:
            return self.library.create_job("transcript", request)
        from ..transcript.cached import cached_transcript  # (as above)

        def still_cached(job: Job) -> bool:
            try:
                return cached_transcript(media.path, cache_dir=cache_dir or default_cache_dir(), model_path=model,
                                         language=language) is not None
            except FastClipError:
                return False

        return self._queue("transcript", request, request_fingerprint(request), True, still_there=still_cached)

    def _output_still_there(self, job: Job) -> bool:
        """Whether what a complete job made is all still there: its clip (its clips, for an auto-clip);
        an analysis makes none, so its moments always are."""
        if job.kind == "analyze":
            return True
        result = job.result or {}
        ids = [c.get("clip_id") for c in result.get("clips", ())] if job.kind == "auto" else [result.get("clip_id")]
        return bool(ids) and all(self._clip_still_there(c) for c in ids)

    def _clip_still_there(self, clip_id: str | None) -> bool:
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
