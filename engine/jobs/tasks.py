"""What a worker process does for each kind of job: the media work itself, in process.

Each task takes the job's spec (its library request plus what the runner added: ``path``, the
file to read; ``out``, the file to write) and a ``report(status, progress, message)``; it returns
the job's result as plain data for the runner to record. ``Sources`` is what a worker keeps
between jobs to make the next one fast: the probe of each source and the open containers of
the last one, including one opened before the first job asked for it (``worker.open_early``).

This module is the worker's: it imports PyAV (through the cut and the media modules) at once, so
the job runner's host (the CLI, the GUI) never imports it. The captions code (Pillow, fontTools:
~310 ms) and the transcript code (numpy, ~110 ms) are imported by the first job that needs them,
so a worker that only cuts starts without them.
"""

from __future__ import annotations

import contextlib
import os
from collections import OrderedDict

from ..cut.export import export_clip
from ..cut.outputs import needs_frame_facts
from ..cut.request import (
    CaptionsRequest,
    ClipRequest,
    Segment,
    validate,
    validate_captions,
)
from ..errors import FastClipError, InvalidRequest
from ..media.probe import Inputs, probe, with_frame_facts
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
    """The source's transcript, into the transcript cache (where front ends read it); the result
    says what it holds."""
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
    while True:  # one bar across the stages (decoding, loading the model, transcribing)
        try:
            p = next(gen)
        except StopIteration as done:
            transcript = done.value
            break
        report("processing", min(99, int(overall_fraction(p) * 100)), progress_message(p))
    words = len(transcript.words)
    return {"file_id": spec["file_id"], "language": transcript.language, "duration": float(transcript.duration),
            "segments": len(transcript.segments), "words": words,
            "model_path": spec.get("model_path"), "text": transcript.text[:280]}


def _export(sources: Sources, key: str, path: str, info, clip, spec: dict, report, writing) -> dict:
    options = {}
    if clip.captions is not None and clip.captions.startswith("preset:"):
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
