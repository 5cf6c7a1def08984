"""One picture of a video, for caption previews: the frame shown at a given second.

Decoding runs native code on a user's file: call :func:`frame_at` through
``engine.process.in_worker`` (it is a generator for that reason; it yields one
Progress and returns an RGB ``PIL.Image``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Generator
from fractions import Fraction

from ..errors import InvalidRequest, UnsupportedMedia
from ..media.signature import check_signature
from ..progress import Progress


def parse_frame_spec(spec: str) -> tuple[str, float]:
    """``SOURCE@SECONDS`` (the last ``@`` splits, so a path may hold one) -> (source, seconds)."""
    source, sep, when = str(spec).rpartition("@")
    try:
        seconds = float(when)
    except ValueError:
        seconds = float("nan")
    if not sep or not source or not math.isfinite(seconds) or seconds < 0:
        raise InvalidRequest(f"a frame must be given as SOURCE@SECONDS, e.g. talk.mp4@12.5, not {spec!r}",
                             field="frame")
    return source, seconds


def frame_at(source: str | os.PathLike, seconds: float) -> Generator[Progress, None, object]:
    """The frame of ``source`` on screen at ``seconds`` (rotation applied), as an RGB PIL image."""
    import av

    check_signature(source)
    yield Progress("decoding", 0, 1, "decoding a frame")
    try:
        with av.open(str(source)) as container:
            if not container.streams.video:
                raise UnsupportedMedia(f"{os.path.basename(source)} has no video to preview captions on",
                                       field="frame")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            tb = stream.time_base or Fraction(1, 1000)
            start = stream.start_time or 0
            target = start + int(Fraction(seconds) / tb)
            container.seek(target, stream=stream, backward=True, any_frame=False)
            shown = None
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                if frame.pts > target and shown is not None:
                    break
                shown = frame
                if frame.pts > target:
                    break
            if shown is None:
                raise InvalidRequest(f"{os.path.basename(source)} has no frame at {seconds:g} s", field="frame")
            end = (container.duration or 0) / av.time_base
            if end and seconds > end + 0.5:
                raise InvalidRequest(f"{os.path.basename(source)} ends at {end:.3f} s, before {seconds:g} s",
                                     field="frame")
            image = shown.to_image()
            rotation = round(getattr(shown, "rotation", 0) or 0) % 360
    except av.error.FFmpegError as e:
        raise UnsupportedMedia(f"cannot decode a frame of {os.path.basename(source)}: {e}", field="frame") from None
    if rotation:
        image = image.rotate(rotation, expand=True)
    yield Progress("decoding", 1, 1, "decoded")
    return image.convert("RGB")
