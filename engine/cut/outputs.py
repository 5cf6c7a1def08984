"""From a ClipRequest to finished files: the jobs of one request, run in order.

One job per output (one per segment, or one for all joined), with the API's
job status model. ``run_clip_request`` is a generator of :class:`JobEvent`;
run it in a worker (``engine.jobs.process.in_worker``) so a crash in native code
fails the jobs, not the caller. ``plan_jobs`` is pure (no PyAV): the job
runner plans a request's outputs in the host process, then runs each as a
library job in a worker (``engine.jobs.runner``).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import FastClipError, InvalidRequest
from ..formats import OUTPUT_FORMATS, canonical_format
from ..media.info import MediaInfo
from ..naming import clip_name, safe_stem, unique_path
from ..progress import relay
from .request import ClipRequest, ValidClip, validate

if TYPE_CHECKING:  # PyAV is imported only where media is read: planning needs none of it
    from .export import ClipResult, Inputs

# Video codecs an MP4 takes as they are (engine.cut.export's MP4_VIDEO_COPY; kept here so
# planning does not import PyAV; a test checks the two agree).
MP4_VIDEO_COPY = frozenset({"h264", "hevc", "av1", "vp9", "mpeg4"})

STATUSES = ("pending", "downloading", "processing", "uploading", "complete", "failed")


def new_job_id() -> str:
    return f"job_{secrets.token_hex(6)}"


@dataclass(frozen=True, slots=True)
class ClipJob:
    job_id: str
    segments: tuple[tuple[Fraction, Fraction], ...]
    out_path: Path


@dataclass(frozen=True, slots=True)
class JobEvent:
    """A job's status, as the API's GET /v1/clip/{job_id} reports it."""

    job_id: str
    status: str
    progress: int  # 0-100
    status_message: str
    result: ClipResult | None = None
    error: FastClipError | None = None
    index: int = 0
    count: int = 1
    extra: dict = field(default_factory=dict)


def plan_jobs(clip: ValidClip, info: MediaInfo, out: str | os.PathLike | None, *,
              taken: set[Path] | None = None, names: Sequence[str | None] | None = None) -> list[ClipJob]:
    """Name the output of every job; ``out`` is a file (one output) or a folder.

    Names made in a folder avoid existing files and the paths in ``taken`` (other
    jobs planned but not yet written); the chosen paths are added to it. ``names``
    (one per output, or None) are the stems the user chose for outputs made in a
    folder (made safe for the file system); an output without one gets the default name.
    """
    ext = OUTPUT_FORMATS[clip.format].extension
    outputs = clip.outputs
    if names is not None and len(names) != len(outputs):
        raise InvalidRequest(f"{len(names)} names were given for {len(outputs)} outputs", field="names")
    source = Path(info.path)
    folder, file = _split_out(out, len(outputs), clip.format)
    jobs = []
    taken = set() if taken is None else taken
    for i, segments in enumerate(outputs):
        if file is not None:
            path = file
        else:
            stem = safe_stem(names[i]) if names is not None and names[i] else ""
            name = f"{stem}.{ext}" if stem else clip_name(source, segments, ext)
            path, n = unique_path(folder, name), 2
            while path in taken:  # two outputs with the same name: "name (2)", "name (3)", ...
                path = unique_path(folder, f"{Path(name).stem} ({n}){Path(name).suffix}")
                n += 1
        taken.add(path)
        if path.resolve() == source.resolve():
            raise InvalidRequest("the output would overwrite the source file", field="out")
        jobs.append(ClipJob(new_job_id(), segments, path))
    return jobs


def _split_out(out, n: int, fmt: str) -> tuple[Path, Path | None]:
    if out is None:
        return Path.cwd(), None
    p = Path(out).expanduser()
    is_dir = p.is_dir() or str(out).endswith(("/", os.sep))
    if is_dir:
        return p, None
    if n > 1:
        if p.suffix:
            raise InvalidRequest(
                f"{n} clips are made (one per segment), so -o must name a folder, not {p.name}; "
                f"use --join for one file", field="out")
        return p, None
    suffix_fmt = canonical_format(p.suffix) if p.suffix else None
    if suffix_fmt is not None and suffix_fmt != fmt:
        raise InvalidRequest(f"the output name ends in {p.suffix} but the format is {fmt}", field="out")
    if not p.suffix:
        p = p.with_suffix("." + OUTPUT_FORMATS[fmt].extension)
    return p.parent, p


def run_clip_request(req: ClipRequest, out=None, *, info: MediaInfo | None = None):
    """Probe, validate, then run every job of ``req``; yield JobEvents.

    Raises InvalidRequest/NotFound/UnsupportedMedia before any job starts when
    the request or the source is rejected; after that, a failing job reports
    ``failed`` and the next one runs.
    """
    from ..media.probe import probe, with_frame_facts
    from .export import Inputs

    with Inputs(str(req.source)) as inputs:
        if Path(req.source).is_file():
            inputs.prefetch("audio")  # opened while the probe reads the file
        if info is None:
            info = probe(req.source, opener=lambda: inputs.get("video"), thorough=False)
            if needs_frame_facts(req, info):
                info = with_frame_facts(info, inputs.get("video"))
        clip = validate(req, info)
        jobs = plan_jobs(clip, info, out)
        count = len(jobs)
        for i, job in enumerate(jobs):
            yield JobEvent(job.job_id, "pending", 0, "queued", index=i, count=count)
        for i, job in enumerate(jobs):
            yield from _run_job(info, clip, job, inputs, i, count)


def needs_frame_facts(req: ClipRequest, info: MediaInfo) -> bool:
    """Whether the rotation matters: a re-encoded or scaled picture. A copy keeps it as it is."""
    if info.video is None:
        return False
    fmt = (req.format or "").lower()
    return bool(req.quality) or fmt == "gif" or req.captions is not None or info.video.codec not in MP4_VIDEO_COPY


def _run_job(info, clip, job: ClipJob, inputs: Inputs, i: int, count: int):
    from .export import export_clip

    yield JobEvent(job.job_id, "downloading", 0, "reading the source", index=i, count=count)
    try:
        gen = export_clip(info, clip, job.segments, job.out_path, inputs)
        result = yield from relay(gen, lambda status, pct, message: JobEvent(
            job.job_id, status, pct, message, index=i, count=count))
    except FastClipError as e:
        yield JobEvent(job.job_id, "failed", 0, e.message, error=e, index=i, count=count)
        return
    yield JobEvent(job.job_id, "complete", 100, "Done!", result=result, index=i, count=count)
