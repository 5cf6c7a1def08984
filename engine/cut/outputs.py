"""A clip request's outputs: one job per output (one per segment, or one for all joined), each
with the path its file will have. Pure (no PyAV): the job runner plans a request's outputs in
its host process, then runs each as a library job in a worker (``engine.jobs``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..errors import InvalidRequest
from ..formats import MP4_VIDEO_COPY, OUTPUT_FORMATS, canonical_format
from ..media.info import MediaInfo
from ..naming import clip_name, new_job_id, safe_stem, unique_path
from .request import ClipRequest, ValidClip


@dataclass(frozen=True, slots=True)
class ClipJob:
    job_id: str
    segments: tuple[tuple[Fraction, Fraction], ...]
    out_path: Path


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


def needs_frame_facts(req: ClipRequest, info: MediaInfo) -> bool:
    """Whether the rotation matters: a re-encoded or scaled picture. A copy keeps it as it is."""
    if info.video is None:
        return False
    fmt = (req.format or "").lower()
    return bool(req.quality) or fmt == "gif" or req.captions is not None or info.video.codec not in MP4_VIDEO_COPY
