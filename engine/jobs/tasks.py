"""What a worker process does for each kind of job: the media work itself, in process.

Each task takes the job's spec (its library request plus what the runner added: ``path``, the
file to read; ``out``, the file to write) and a ``report(status, progress, message)``; it returns
the job's result as plain data for the runner to record. A Dask worker of a cluster batch runs the
same functions (``engine.jobs.cluster_tasks``). ``Sources`` is what a worker keeps
between jobs to make the next one fast: the probe of each source and the open containers of
the last one, including one opened before the first job asked for it (``worker.open_early``).

This module is the worker's: it imports PyAV (through the cut and the media modules) at once, so
the job runner's host (the CLI, the GUI) never imports it. The captions code (Pillow, fontTools:
~310 ms), the transcript code (numpy, ~110 ms) and the moments code (numpy, the analysis; the
embedding model loads on first use; a transcript job's last stage, the sentence index, imports
``engine.moments.index``) are imported by the first job that needs them, so a worker that only
cuts starts without them.
"""

from __future__ import annotations

import contextlib
import os
from collections import OrderedDict
from pathlib import Path

from ..atomic import remove_job_temps
from ..cut.export import export_clip
from ..cut.outputs import needs_frame_facts
from ..cut.request import (
    CaptionsRequest,
    ClipRequest,
    Segment,
    validate,
    validate_captions,
)
from ..errors import Cancelled, FastClipError, InvalidRequest
from ..formats import OUTPUT_FORMATS
from ..media.probe import Inputs, probe, with_frame_facts
from ..naming import clip_name, unique_path
from ..progress import drain, relay

MAX_CACHED_INFOS = 32
_EARLY = object()  # the key of a container opened before a job asked for it (``worker.open_early``)


class Sources:
    """The probes of recent sources (by key: an import's file_id, or ``clip:<id>``) and the open
    containers of the last one."""

    def __init__(self, early=None):
        self.infos: OrderedDict[str, object] = OrderedDict()
        self.framed: set[str] = set()  # keys whose cached info has the decoded-frame facts
        self.inputs = None if early is None else (_EARLY, *early)  # (key or _EARLY, path, Inputs)

    def info(self, key: str, path: str, *, frames: bool):
        info = self.infos.get(key)
        if info is None:
            if not self._take_early(key, path):
                self.close()
            inputs = self.inputs_for(key, path)
            info = probe(path, opener=lambda: inputs.get("video"), thorough=False)
            self._remember(key, info, framed=False)
        if frames and key not in self.framed:
            info = with_frame_facts(info, self.inputs_for(key, path).get("video"))
            self._remember(key, info, framed=True)
        return info

    def fresh_info(self, key: str, path: str):
        """A thorough probe of the file as it is now (an import): never a cached answer."""
        self.infos.pop(key, None)
        if not self._take_early(key, path):
            self.close()  # a fresh look at the file: containers a probe has read to the end won't do
        inputs = self.inputs_for(key, path)
        try:
            container = inputs.get("video")
        except FastClipError:
            self.close()
            probe(path, thorough=True)  # raises the probe's own sentence for a file that does not open
            raise
        info = probe(path, opener=lambda: container, thorough=True)
        self._remember(key, info, framed=True)
        return info

    def inputs_for(self, key: str, path: str) -> Inputs:
        if self.inputs is not None and self.inputs[0] == key:
            return self.inputs[2]
        self.close()
        inputs = Inputs(path)
        inputs.prefetch("audio")  # opened on a helper thread while the video container is read
        self.inputs = (key, path, inputs)
        return inputs

    def close(self) -> None:
        if self.inputs is not None:
            with contextlib.suppress(Exception):
                self.inputs[2].close()
            self.inputs = None

    def _remember(self, key: str, info, *, framed: bool) -> None:
        self.infos[key] = info
        self.infos.move_to_end(key)
        (self.framed.add if framed else self.framed.discard)(key)
        while len(self.infos) > MAX_CACHED_INFOS:
            old, _ = self.infos.popitem(last=False)
            self.framed.discard(old)

    def _take_early(self, key: str, path: str) -> bool:
        """Whether the container opened early is of ``path`` (then it is now ``key``'s)."""
        if self.inputs is None or self.inputs[0] is not _EARLY or self.inputs[1] != os.path.realpath(path):
            return False
        self.inputs = (key, path, self.inputs[2])
        self.inputs[2].prefetch("audio")  # opened on a helper thread while the probe reads
        return True


# -- the tasks -------------------------------------------------------------------------------------


def run_import(sources: Sources, file_id: str, path: str):
    """An import's value: the source's MediaInfo (a thorough probe)."""
    return sources.fresh_info(file_id, path)


def run_clip(sources: Sources, spec: dict, report, writing) -> dict:
    """One output of a clip request (the planner made one job per output)."""
    report("downloading", 0, "reading the source")
    file_id, path = spec["file_id"], spec["path"]
    segments = spec.get("segments")
    req = ClipRequest(
        source=path, start=spec.get("start"), end=spec.get("end"),
        segments=None if segments is None else tuple(Segment(s.get("start"), s.get("end")) for s in segments),
        format=spec.get("format"), quality=spec.get("quality"), mode=spec.get("mode") or "precise",
        captions=spec.get("captions"), join=bool(spec.get("join")))
    info = sources.info(file_id, path, frames=False)
    if file_id not in sources.framed and needs_frame_facts(req, info):  # (an import's probe has them)
        info = sources.info(file_id, path, frames=True)
    clip = validate(req, info)
    if len(clip.outputs) != 1:
        raise InvalidRequest("a clip job makes one output; plan the request into jobs first", field="segments")
    return _export(sources, file_id, path, info, clip, spec, report, writing)


def run_captions(sources: Sources, spec: dict, report, writing) -> dict:
    """The whole source (an import or a clip) with its speech burned in, as a new MP4."""
    report("downloading", 0, "reading the source")
    key, path = spec["source_key"], spec["path"]
    info = sources.info(key, path, frames=True)  # re-encoded: the rotation matters
    clip = validate_captions(CaptionsRequest(path, spec["preset_ref"], spec.get("quality")), info)
    return _export(sources, key, path, info, clip, spec, report, writing)


def run_transcript(spec: dict, report) -> dict:
    """The source's transcript, into the transcript cache (where front ends read it), then its
    index for Moments (:func:`_index_sentences`); the result says what they hold."""
    from ..transcript import (
        forget_transcript,
        overall_fraction,
        progress_message,
        transcribe,
    )

    report("downloading", 0, "reading the source")
    options = {"cache_dir": spec["cache_dir"], "model_path": spec.get("model_path"), "language": spec.get("language")}
    if spec.get("fresh"):  # listen again (the new transcript replaces the cached one)
        forget_transcript(spec["path"], **options)
    gen = transcribe(spec["path"], **options)
    share = None  # of the bar: the transcript's (most of it when transcribing, a little when cached)
    while True:  # one bar across the stages (decoding, loading the model, transcribing, indexing)
        try:
            p = next(gen)
        except StopIteration as done:
            transcript = done.value
            break
        if share is None:
            share = TRANSCRIPT_SHARE_CACHED if p.stage == "cached" else TRANSCRIPT_SHARE
        report("processing", min(99, int(share * overall_fraction(p) * 100)), progress_message(p))
    index = _index_sentences(transcript, spec, report, TRANSCRIPT_SHARE if share is None else share)
    words = len(transcript.words)
    return {"file_id": spec["file_id"], "language": transcript.language, "duration": float(transcript.duration),
            "segments": len(transcript.segments), "words": words,
            "model_path": spec.get("model_path"), "text": transcript.text[:280], "moments_index": index}


TRANSCRIPT_SHARE, TRANSCRIPT_SHARE_CACHED = 0.95, 0.05  # of a transcript job's bar; the rest: indexing


def _index_sentences(transcript, spec: dict, report, low: float) -> dict:
    """The transcript's Moments index into the cache (engine.moments.index: its sentence vectors
    and the audio's level, what a first analysis of this source would otherwise make), the job's
    bar from ``low`` on. The transcript is the job's product: a part that cannot be made (the
    embedding model missing or failing) is skipped, the result and the status line say why, and
    an analysis makes it later. A cancel ends the job as in every other stage."""
    # (here, not at the top: numpy and PyAV are loaded by now, but the Moments modules are for this)
    from ..moments.index import index_transcript
    from ..moments.index import overall_fraction as index_fraction
    from ..moments.index import progress_message as index_message

    report("processing", min(99, int(low * 100)), "Indexing sentences for Moments…")
    gen = index_transcript(transcript, spec["cache_dir"], source=spec["path"])
    try:
        while True:
            try:
                p = next(gen)
            except StopIteration as done:
                summary = done.value
                break
            report("processing", min(99, int((low + (1 - low) * index_fraction(p)) * 100)), index_message(p))
    finally:
        gen.close()  # on cancel: the audio's reader stops
    if summary.get("skipped"):
        report("processing", 99, f"Moments index skipped, in part: {summary['skipped']}")
    return summary


def run_analyze(spec: dict, report) -> dict:
    """The source's moments (POST /v1/clip/analyze), its transcript made first when it is not cached."""
    report("downloading", 0, "reading the source")
    moments, _ = _analyze(spec, report, 0.0, 1.0)
    return {"file_id": spec["file_id"], "query": spec.get("query"), "count": spec.get("count"),
            "min_duration": spec.get("min_duration"), "max_duration": spec.get("max_duration"),
            "segments": [m.to_dict() for m in moments]}


def run_auto(sources: Sources, spec: dict, report, writing, part) -> dict:
    """POST /v1/clip/auto: the moments, then a clip of each (``part`` hands each to the runner as it
    is made, or as it fails). One bar: the analysis first (most of it when the speech must be
    transcribed), then each clip its share. A clip an earlier attempt of this job made (``done``)
    is not made again."""
    report("downloading", 0, "reading the source")
    key, path = spec["file_id"], spec["path"]
    moments, share = _analyze(spec, report, 0.0, None)
    info = sources.info(key, path, frames=False)
    folder = Path(spec["folder"])
    ext = OUTPUT_FORMATS[spec["format"]].extension
    done = {os.path.realpath(d["path"]) for d in spec.get("done", ())}
    entries = []
    n = len(moments)
    for k, m in enumerate(moments):
        entry = {"index": k, **m.to_dict()}
        entries.append(entry)
        name = clip_name(path, [(m.start, m.end)], ext)
        before = _made_before(done, folder, name)
        low, high = share + (1 - share) * k / n, share + (1 - share) * (k + 1) / n
        report("processing", min(99, int(low * 100)), f"processing segment {k + 1}/{n}")  # as _scaled
        if before is not None:
            entry["path"] = before
            continue
        try:
            req = ClipRequest(source=path, start=m.start, end=min(m.end, info.duration), format=spec["format"],
                              quality=spec.get("quality"), mode=spec.get("mode") or "precise",
                              captions=spec.get("captions"))
            if key not in sources.framed and needs_frame_facts(req, info):
                info = sources.info(key, path, frames=True)
            clip = validate(req, info)
            folder.mkdir(parents=True, exist_ok=True)
            remove_job_temps(folder / name)  # what an earlier attempt, killed while writing it, left
            out = unique_path(folder, name)
            step = _scaled(report, low, high, f"processing segment {k + 1}/{n}")
            entry["clip"] = _export(sources, key, path, info, clip, {**spec, "out": str(out)}, step, writing)
            entry["path"] = entry["clip"]["path"]
        except Cancelled:
            raise
        except FastClipError as e:
            entry["error"] = e.to_dict()
        part(entry)
    report("processing", 99, "recording the clips")
    return {"file_id": key, "query": spec.get("query"), "segments": [m.to_dict() for m in moments],
            "clips": [{k: v for k, v in e.items() if k != "clip"} for e in entries]}


def _analyze(spec: dict, report, low: float, high: float | None):
    """Drive the analysis, its progress from ``low`` to ``high`` of the job's bar; return the
    moments and ``high``. With ``high`` None (an auto-clip), the analysis takes most of the bar when
    the speech must be transcribed first, a little when its transcript is cached."""
    from ..moments.analyze import analyze, overall_fraction, progress_message

    gen = analyze(spec["path"], spec.get("query"), count=spec.get("count"), min_duration=spec.get("min_duration"),
                  max_duration=spec.get("max_duration"), cache_dir=spec["cache_dir"], model_path=spec.get("model_path"),
                  language=spec.get("language"))
    while True:
        try:
            p = next(gen)
        except StopIteration as finished:
            return finished.value, high if high is not None else AUTO_SHARE_CACHED
        if high is None:  # the first step tells: found in the cache, or to be transcribed
            high = AUTO_SHARE_CACHED if p.stage == "cached" else AUTO_SHARE_TRANSCRIBING
        report("processing", min(99, int((low + (high - low) * overall_fraction(p)) * 100)), progress_message(p))


AUTO_SHARE_TRANSCRIBING, AUTO_SHARE_CACHED = 0.6, 0.2  # of an auto-clip's bar: the analysis


def _made_before(done: set[str], folder: Path, name: str) -> str | None:
    """The file an earlier attempt made for the output ``name`` (``name`` or ``name (n)``), if any."""
    stem, suffix = Path(name).stem, Path(name).suffix
    for p in done:
        q = Path(p)
        if q.parent == folder.resolve() and q.suffix == suffix and (
                q.stem == stem or (q.stem.startswith(stem + " (") and q.stem.endswith(")"))):
            return p
    return None


def _scaled(report, low: float, high: float, message: str):
    """A report for one step of a job that does several: its 0-100 as ``low``-``high`` of the job's
    bar, always "processing" (an export's "uploading" would be a step back for the next one)."""
    def step(status: str, progress: int, _message: str) -> None:
        report("processing", min(99, int((low + (high - low) * progress / 100) * 100)), message)

    return step


def _export(sources: Sources, key: str, path: str, info, clip, spec: dict, report, writing) -> dict:
    options = {}
    resolved = spec.get("resolved_preset")  # (CaptionStyle, font file or None), resolved by the host
    if clip.captions is not None and resolved is not None:  # (a cluster worker cannot open the library)
        options["resolve_preset"] = lambda ref: tuple(resolved)
    elif clip.captions is not None and clip.captions.startswith("preset:"):
        options["resolve_preset"] = _library_presets(spec.get("library"))
    if clip.captions is not None and spec.get("cache_dir"):
        options["cache_dir"] = spec["cache_dir"]
    report("processing", 0, "analyzing")
    writing(spec["out"])
    gen = export_clip(info, clip, clip.outputs[0], spec["out"], sources.inputs_for(key, path), **options)
    try:
        result = drain(relay(gen, report))
    finally:
        gen.close()  # on cancel or SIGTERM: the export removes its temp file
        writing(None)
    return {"path": result.path, "file_name": result.file_name, "format": result.format,
            "quality": result.quality, "duration": _seconds(result.duration), "start": _seconds(result.start),
            "segments": [[_seconds(s), _seconds(e)] for s, e in result.segments],
            "width": result.width, "height": result.height, "aspect_ratio": result.aspect_ratio,
            "video": result.video, "captioned": clip.captions is not None,
            "cut": result.cut.to_dict() if result.cut is not None else None}


def _library_presets(library_path: str | None):
    """A caption-preset resolver that knows the library's custom presets (``preset:<id>``)."""
    from ..captions.custom import resolve_preset
    from ..library import Library

    def resolve(ref: str):
        with Library(library_path) as lib:
            return resolve_preset(ref, lib)

    return resolve


def _seconds(t) -> float:
    return round(float(t), 6)
