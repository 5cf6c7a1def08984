"""ClipRequest: what a user asks for, and the one function that holds every rule.

The GUI, the CLI and batch files all build a :class:`ClipRequest` and call
:func:`validate`; no front end re-implements a rule. Validation needs the
source's :class:`MediaInfo` (its duration, kind and height) and returns a
:class:`ValidClip` whose times are exact ``Fraction`` seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from ..errors import InvalidRequest
from ..formats import (
    AUDIO_FORMATS,
    CUT_MODES,
    FORMATS,
    QUALITY_HEIGHTS,
    canonical_format,
    canonical_quality,
)
from ..media.info import MediaInfo
from ..timeline import exact
from .gif_rules import gif_settings

MODES = CUT_MODES
MAX_SEGMENTS = 50
MIN_SEGMENT = Fraction(1, 2)
MAX_SEGMENT = Fraction(600)
MAX_GIF_SEGMENT = Fraction(30)
# Float seconds from a UI may overshoot the duration by a rounding error.
_END_SLACK = Fraction(1, 1000)
_PRESET_REF = re.compile(r"^(builtin|preset):[A-Za-z0-9_.-]{1,100}$")


@dataclass(frozen=True, slots=True)
class Segment:
    start: float | str | Fraction | None = None
    end: float | str | Fraction | None = None


@dataclass(frozen=True, slots=True)
class ClipRequest:
    """A clip as the API's POST /v1/clip body describes it (``source`` instead of ``file_id``)."""

    source: str
    start: float | str | Fraction | None = None
    end: float | str | Fraction | None = None
    segments: tuple[Segment, ...] | None = None
    format: str | None = None
    quality: str | None = None
    mode: str = "precise"
    captions: str | None = None
    join: bool = False


@dataclass(frozen=True, slots=True)
class ValidClip:
    """A request that passed every rule, normalised."""

    request: ClipRequest
    format: str  # canonical
    quality: str | None  # canonical name the user asked for, or None
    height: int | None  # output height to scale to, or None to keep the source's
    mode: str
    segments: tuple[tuple[Fraction, Fraction], ...]
    join: bool
    captions: str | None
    has_video_output: bool = field(default=False)

    @property
    def outputs(self) -> tuple[tuple[tuple[Fraction, Fraction], ...], ...]:
        """The segments of each output file: one per segment, or all of them joined."""
        if self.join:
            return (self.segments,)
        return tuple((s,) for s in self.segments)


def output_size(info: MediaInfo, clip: ValidClip) -> tuple[int, int]:
    """Coded size of a video output: the source's, or scaled to the asked height (never up)."""
    v = info.video
    if clip.height is None:
        return v.width, v.height
    rotated = v.rotation % 180 != 0
    # the requested height is the displayed height; a rotated stream displays its width
    shown_w, shown_h = (v.height, v.width) if rotated else (v.width, v.height)
    h = clip.height
    w = max(2, int(round(shown_w * h / shown_h / 2)) * 2)
    return (h, w) if rotated else (w, h)


def picture_size(info: MediaInfo, clip: ValidClip) -> tuple[int, int] | None:
    """The output's picture as it will be shown (width, height), or None for an audio output: what
    a front end tells the user will come out (a GIF at "source" quality is 480 wide, say)."""
    if not clip.has_video_output or info.video is None:
        return None
    if clip.format == "gif":
        s = gif_settings(*info.display_size, info.video.frame_rate or Fraction(30), clip.height)
        return s.width, s.height
    w, h = output_size(info, clip)
    return (h, w) if info.video.rotation % 180 else (w, h)


def default_format(info: MediaInfo) -> str:
    if info.has_video:
        return "mp4"
    return info.container if info.container in AUDIO_FORMATS else "m4a"


def validate(req: ClipRequest, info: MediaInfo) -> ValidClip:
    """Apply every rule of the API to ``req`` for the source ``info``.

    Raises :class:`InvalidRequest` naming the field at the first broken rule.
    """
    fmt = _format(req, info)
    quality, height = _quality(req, info, fmt)
    if req.mode not in MODES:
        raise InvalidRequest(f"mode must be one of {', '.join(MODES)}, not {req.mode!r}", field="mode")
    segments = _segments(req, info)
    if fmt == "gif":
        for i, (s, e) in enumerate(segments):
            if e - s > MAX_GIF_SEGMENT:
                raise InvalidRequest(
                    f"a GIF segment may be at most {MAX_GIF_SEGMENT} s; "
                    f"{_which(req, i)} is {_fmt_s(e - s)} s",
                    field=_field(req, i, "end"),
                )
    if req.captions is not None:
        _captions(req, info, fmt)
    return ValidClip(
        request=req,
        format=fmt,
        quality=quality,
        height=height,
        mode=req.mode,
        segments=segments,
        join=bool(req.join) and len(segments) > 1,
        captions=req.captions,
        has_video_output=fmt in ("mp4", "gif"),
    )


@dataclass(frozen=True, slots=True)
class CaptionsRequest:
    """The API's POST /v1/captions: caption a whole video (an import or a clip) into a new MP4.

    ``source`` is what the front end names (a path, a file_id or a clip_id); the runner hands the
    worker the file itself.
    """

    source: str
    preset_ref: str
    quality: str | None = None


def validate_captions(req: CaptionsRequest, info: MediaInfo) -> ValidClip:
    """The rules of POST /v1/captions for the source ``info``: a video with sound, an MP4 out, a
    preset ref, a quality that never upscales. The whole source is one output: the 10-minute limit
    is a clip segment's, not a captioned source's (sources may run up to the import limit)."""
    if not isinstance(req.preset_ref, str) or not _PRESET_REF.match(req.preset_ref):
        raise InvalidRequest(f"preset_ref must be a preset ref like builtin:short-form-karaoke or preset:<id>, "
                             f"not {req.preset_ref!r}", field="preset_ref")
    if not info.has_video:
        raise InvalidRequest("captions need a video source; this file has only audio (a transcript is what "
                             "an audio file has)", field="source")
    if not info.has_audio:
        raise InvalidRequest("captions come from speech, and the source has no audio track", field="source")
    whole = ClipRequest(req.source, format="mp4", quality=req.quality, mode="keyframe", captions=req.preset_ref)
    quality, height = _quality(whole, info, "mp4")
    return ValidClip(request=whole, format="mp4", quality=quality, height=height, mode="keyframe",
                     segments=((Fraction(0), info.duration),), join=False, captions=req.preset_ref,
                     has_video_output=True)


def _format(req: ClipRequest, info: MediaInfo) -> str:
    if req.format is None:
        return default_format(info)
    fmt = canonical_format(str(req.format))
    if fmt is None:
        raise InvalidRequest(
            f"format must be one of {', '.join(FORMATS)} (or aac), not {req.format!r}", field="format"
        )
    if not info.has_video and fmt not in AUDIO_FORMATS:
        raise InvalidRequest(
            f"an audio source can only be exported as {', '.join(AUDIO_FORMATS)}, not {fmt}",
            field="format",
        )
    if fmt in AUDIO_FORMATS and not info.has_audio:
        raise InvalidRequest(f"the source has no audio, so it cannot be exported as {fmt}", field="format")
    return fmt


def _quality(req: ClipRequest, info: MediaInfo, fmt: str) -> tuple[str | None, int | None]:
    if req.quality is None or req.quality == "":
        return None, None
    if fmt in AUDIO_FORMATS:
        raise InvalidRequest(f"audio exports ({fmt}) take no quality", field="quality")
    quality = canonical_quality(str(req.quality))
    if quality is None:
        raise InvalidRequest(
            f"quality must be one of {', '.join(QUALITY_HEIGHTS)}, high or medium, not {req.quality!r}",
            field="quality",
        )
    if fmt == "gif" and quality == "4k":
        raise InvalidRequest("GIF exports do not support 4k; use 1080p or 720p", field="quality")
    wanted = QUALITY_HEIGHTS[quality]
    # never upscale: a height above the source's keeps the source's
    return quality, (wanted if wanted < info.max_height else None)


def _segments(req: ClipRequest, info: MediaInfo) -> tuple[tuple[Fraction, Fraction], ...]:
    ranged = req.start is not None or req.end is not None
    if req.segments is not None and ranged:
        raise InvalidRequest("give either start/end or segments, not both", field="segments")
    if req.segments is not None:
        if len(req.segments) == 0:
            raise InvalidRequest("segments must hold at least one segment", field="segments")
        if len(req.segments) > MAX_SEGMENTS:
            raise InvalidRequest(
                f"at most {MAX_SEGMENTS} segments per request, not {len(req.segments)}", field="segments"
            )
        raw = [(s.start, s.end) for s in req.segments]
    else:
        raw = [(req.start, req.end)]
    return tuple(_segment(req, i, s, e, info) for i, (s, e) in enumerate(raw))


def _segment(req, i, start, end, info) -> tuple[Fraction, Fraction]:
    s = _seconds(req, i, "start", start, Fraction(0))
    e = _seconds(req, i, "end", end, info.duration)
    if s < 0:
        raise InvalidRequest(f"{_which(req, i)} start must be 0 or more, not {_fmt_s(s)}", field=_field(req, i, "start"))
    if e <= s:
        raise InvalidRequest(
            f"{_which(req, i)} end ({_fmt_s(e)}) must be after its start ({_fmt_s(s)})", field=_field(req, i, "end")
        )
    if e > info.duration + _END_SLACK:
        raise InvalidRequest(
            f"{_which(req, i)} end ({_fmt_s(e)}) is past the end of the source ({_fmt_s(info.duration)} s)",
            field=_field(req, i, "end"),
        )
    e = min(e, info.duration)
    if s >= info.duration:
        raise InvalidRequest(
            f"{_which(req, i)} start ({_fmt_s(s)}) is at or past the end of the source", field=_field(req, i, "start")
        )
    if e - s < MIN_SEGMENT:
        raise InvalidRequest(
            f"{_which(req, i)} is {_fmt_s(e - s)} s long; a clip must be at least {_fmt_s(MIN_SEGMENT)} s",
            field=_field(req, i, "end"),
        )
    if e - s > MAX_SEGMENT:
        raise InvalidRequest(
            f"{_which(req, i)} is {_fmt_s(e - s)} s long; a clip may be at most 10 minutes",
            field=_field(req, i, "end"),
        )
    return s, e


def _seconds(req, i, name, value, default) -> Fraction:
    if value is None or value == "":
        return default
    try:
        t = exact(value)
    except (ValueError, TypeError, ZeroDivisionError):
        raise InvalidRequest(
            f"{_which(req, i)} {name} must be a number of seconds, not {value!r}", field=_field(req, i, name)
        ) from None
    return t


def _captions(req: ClipRequest, info: MediaInfo, fmt: str) -> None:
    ref = req.captions
    if not isinstance(ref, str) or not _PRESET_REF.match(ref):
        raise InvalidRequest(
            f"captions must be a preset ref like builtin:short-form-karaoke or preset:<id>, not {ref!r}",
            field="captions",
        )
    if not info.has_video:
        raise InvalidRequest("captions need a video source; use a transcript for audio", field="captions")
    if fmt != "mp4":
        raise InvalidRequest(f"captions need the mp4 format, not {fmt}", field="captions")


def _which(req: ClipRequest, i: int) -> str:
    return f"segment {i + 1}" if req.segments is not None else "the clip"


def _field(req: ClipRequest, i: int, name: str) -> str:
    return f"segments[{i}].{name}" if req.segments is not None else name


def _fmt_s(t: Fraction) -> str:
    return f"{float(t):g}"
