"""Analyze and auto-clip requests into jobs (POST /v1/clip/analyze, POST /v1/clip/auto), and an
analysis read back: the planner's side of Moments.

An analysis is a job whose result holds the moments as the API's ``segments``. It is known by its
fingerprint (the import, the options, the speech model, MOMENTS_VERSION), so asking again with
``reuse`` (or :func:`cached_moments`) finds it: the moments of a source and query are computed once.
An auto-clip is one job that analyzes, then makes each moment a clip in its worker, each recorded
as it is made (with its ``clip.auto.segment_complete`` / ``segment_failed`` webhook).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..cut.request import ClipRequest, validate
from ..errors import InvalidRequest
from ..formats import canonical_format
from ..library import Job, Library, request_fingerprint
from ..moments.moment import Moment
from ..moments.request import AnalyzeRequest, AutoClipRequest, MomentOptions, moment_options

# Bump when what an analysis of the same source and options returns changes (the ranking, the cues,
# the calibration): analyses stored before are then not reused.
MOMENTS_VERSION = 1


def analysis_fingerprint(file_id: str, options: MomentOptions, model_path: str | None) -> str:
    """What identifies an analysis (the query compared as the model reads it: lower-case)."""
    asked = {**options.to_dict(), "query": options.query.lower() if options.query else None}
    return request_fingerprint({"analyze": {"file_id": file_id, **asked, "model_path": model_path or None,
                                            "version": MOMENTS_VERSION}})


def cached_moments(library: Library, file_id: str, query: str | None = None, *, count=None, min_duration=None,
                   max_duration=None) -> list[Moment] | None:
    """The moments a complete analysis of the import ``file_id`` found for these options, or None
    when there is none yet (then queue one: ``Runner.submit_analyze``). Reads the library only."""
    options = moment_options(query, count, min_duration, max_duration)
    model = library.get_setting("whisper_model_path") or None
    job = library.find_completed_job(analysis_fingerprint(file_id, options, model))
    if job is None:
        return None
    return [Moment.from_dict(d) for d in (job.result or {}).get("segments", ())]


class MomentRequests:
    """The Moments methods of :class:`~engine.jobs.planner.Planner`."""

    library: Library

    def submit_analyze(self, request: AnalyzeRequest, *, reuse: bool = False, cache_dir: str | None = None) -> Job:
        """Queue the analysis of ``request.source`` (a path, file_id or clip_id); with ``reuse`` an
        analysis asked before is returned (complete, or queued or running), a failed one queued
        again. Raises before a job exists when the request is refused."""
        options = moment_options(request.query, request.count, request.min_duration, request.max_duration)
        media = self._heard(request.source)
        model = self.library.get_setting("whisper_model_path") or None
        stored = {"file_id": media.file_id, **options.to_dict(), "model_path": model}
        if cache_dir:
            stored["cache_dir"] = str(cache_dir)
        return self._queue("analyze", stored, analysis_fingerprint(media.file_id, options, model), reuse)

    def submit_auto(self, request: AutoClipRequest, out: str | os.PathLike | None = None, *,
                    reuse: bool = False) -> Job:
        """Queue an auto-clip of ``request.source``: its moments, each made a clip in the folder
        ``out`` (None: library clips, in the clips folder). The clip rules are a clip request's
        (engine.cut.request.validate: the format for the source, captions only on MP4 video,
        qualities), plus the API's own for auto-clip: no GIF. Each moment is at most 10 minutes."""
        options = moment_options(request.query, request.count, request.min_duration, request.max_duration)
        if request.format is not None and canonical_format(str(request.format)) == "gif":
            raise InvalidRequest("auto-clip does not make GIFs; choose mp4, mp3, wav, m4a or flac", field="format")
        media = self._heard(request.source)
        info = self.media_info(media.file_id)
        mode = request.mode or self.library.get_setting("default_cut_mode")
        # the clip rules, on a range every source has (the real ranges come from the analysis)
        probe = ClipRequest(media.path, start=0, end=min(info.duration, 1), format=request.format,
                            quality=request.quality, mode=mode, captions=request.captions)
        clip = validate(probe, info)
        if clip.captions is not None:
            self._check_preset(clip.captions)
        folder = _folder(out)
        model = self.library.get_setting("whisper_model_path") or None
        stored = {"file_id": media.file_id, **options.to_dict(), "format": clip.format, "quality": clip.quality,
                  "mode": mode, "captions": clip.captions, "folder": folder, "model_path": model}
        asked = {**stored, "query": options.query.lower() if options.query else None, "version": MOMENTS_VERSION}
        return self._queue("auto", stored, request_fingerprint({"auto": asked}), reuse)

    def _heard(self, source):
        """The ready import ``source`` names, if it has sound to analyze."""
        media = self.resolve_source(str(source))
        if not media.has_audio:
            raise InvalidRequest(f"{media.filename} has no audio track, so it has no speech to find moments in",
                                 field="source")
        return media


def _folder(out) -> str | None:
    """The folder an auto-clip's clips go to (made when they are), as an absolute path."""
    if out is None:
        return None
    p = Path(out).expanduser()
    if p.exists() and not p.is_dir():
        raise InvalidRequest(f"an auto-clip makes a clip of each moment, so -o must be a folder, not the file {p}",
                             field="out")
    if not p.exists() and canonical_format(p.suffix) is not None:
        raise InvalidRequest(f"an auto-clip makes a clip of each moment, so -o must be a folder, not {p.name}",
                             field="out")
    return os.path.abspath(p)
