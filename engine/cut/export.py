"""Export one clip: probe -> plan -> execute, as a generator of Progress.

``export_clip`` plans every segment of one output, builds one executor per
track (video, audio, subtitles), merges their packets by time into the muxer,
and writes through :func:`atomic_output`, so the output path holds a finished
file or nothing. Its return value (``StopIteration.value``) is a ClipResult.
"""

from __future__ import annotations

import heapq
import math
import os
from collections.abc import Generator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from ..atomic import atomic_output
from ..errors import ProcessingFailed, UnsupportedMedia
from ..formats import AUDIO_FORMATS, OUTPUT_FORMATS, quality_name
from ..media.info import MediaInfo
from ..media.probe import Inputs
from ..progress import Progress
from ..timeline import Window
from . import audio_track, video_track
from .encoders import add_audio_stream, add_h264_stream
from .plan import SegmentPlan, shown_frames
from .report import CutReport, cut_report
from .request import ValidClip, output_size
from .route import (
    VideoRoute,
    plan_segment,
    reason_for,
    segment_ticks,
    timeline_origin,
    video_kind,
    video_route,
)
from .scan import RangeScan, scan_ends, scan_range
from .splice import Splicer

MP4_AUDIO_COPY = frozenset({"aac", "mp3", "ac3", "eac3", "alac", "flac", "opus"})
# An output this much shorter than its windows means the source ran out of data.
_SHORTFALL = 1.0


@dataclass(frozen=True, slots=True)
class ClipResult:
    path: str
    file_name: str
    format: str
    quality: str  # "1080p", "720p", ... or "" for audio
    start: Fraction  # where the first segment really starts in the source
    duration: Fraction  # of the output
    width: int
    height: int
    segments: tuple[tuple[Fraction, Fraction], ...]  # the source spans really used
    video: str  # how the video was made: "copy", "smart", "encode" or ""
    captioned: bool = False  # captions were burned into the picture
    cut: CutReport | None = None  # how, in numbers: seconds re-encoded and copied, boundary PSNR

    @property
    def aspect_ratio(self) -> str:
        return aspect_ratio(self.width, self.height)


def aspect_ratio(width: int, height: int) -> str:
    if not width or not height:
        return ""
    for w, h in ((16, 9), (9, 16), (4, 3), (3, 4), (1, 1), (21, 9), (4, 5), (2, 1)):
        if abs(width / height - w / h) < 0.01:
            return f"{w}:{h}"
    g = math.gcd(width, height)
    return f"{width // g}:{height // g}"


def export_clip(info: MediaInfo, clip: ValidClip, segments, out_path: str | os.PathLike,
                inputs: Inputs | None = None, *, resolve_preset=None, transcript=None,
                cache_dir=None) -> Generator[Progress, None, ClipResult]:
    """Write the output made of ``segments`` (source seconds) of ``info`` to ``out_path``.

    With ``clip.captions`` the caption preset is resolved by ``resolve_preset``
    (``ref -> (CaptionStyle, font_file | None)``; default: built-in presets only) and
    the words come from ``transcript`` (the source's), else from transcribing the
    source (cached by content under ``cache_dir``, default the app's cache).
    """
    own = inputs is None
    inputs = inputs or Inputs(info.path)
    captions = _Captions(resolve_preset, transcript, cache_dir)
    try:
        return (yield from _export(info, clip, tuple(segments), Path(out_path), inputs, captions))
    except av.error.FFmpegError as e:
        raise ProcessingFailed(f"the export failed: {e}") from None
    except OSError as e:
        raise ProcessingFailed(f"could not write {out_path}: {e.strerror or e}") from None
    finally:
        if own:
            inputs.close()


@dataclass(frozen=True, slots=True)
class _Captions:
    """Where a captioned export gets its preset and its words (see export_clip)."""

    resolve_preset: object = None
    transcript: object = None
    cache_dir: object = None


def _export(info, clip: ValidClip, segments, out_path: Path, inputs: Inputs, captions: _Captions):
    fmt = OUTPUT_FORMATS[clip.format]
    # Request times count from the first sample or frame of the file (an MP3's
    # stream starts at 25 ms, a TS-born MP4's later still): the timeline users see.
    origin = timeline_origin(info)
    segments = tuple((s + origin, e + origin) for s, e in segments)
    yield Progress("processing", 0, 1, "analyzing")
    video_kind_ = ""
    plans: list[SegmentPlan] = []
    scans: list[RangeScan] = []
    tb = route = splicer = vin = vstream = None
    extradata = None
    if fmt.has_video:
        vin = inputs.get("video")
        vstream = vin.streams[info.video.index]
        tb = Fraction(vstream.time_base)
        route = video_route(info, fmt=clip.format, mode=clip.mode, height=clip.height,
                            captions=clip.captions is not None)
        ticks = [segment_ticks(s, e, tb, clip.mode) for s, e in segments]
        scans, plans = _scan_and_plan(vin, vstream, ticks, route)
        if not route.reencode and video_kind(route, plans) != "encode":
            splicer, extradata, route = _splice(vstream, info, plans, route)
            if splicer is None:  # the bitstream cannot be joined: the span is re-encoded whole
                plans = [plan_segment(sc.packets, a, b, route) for sc, (a, b) in zip(scans, ticks)]
        windows = _windows([(p.start * tb, p.end * tb) for p in plans])
        video_kind_ = video_kind(route, plans)
    else:
        windows = _windows(segments)
    total = sum((w.duration for w in windows), Fraction(0))

    width, height = output_size(info, clip) if fmt.has_video else (0, 0)
    overlay = None
    if clip.captions is not None and video_kind_ == "encode" and clip.format == "mp4":
        from ..captions.burn_in import (
            prepare_overlay,  # (only for captions: ~150 ms of a plain cut)
        )

        overlay = yield from prepare_overlay(info, clip.captions, windows, (width, height),
                                             resolve_preset=captions.resolve_preset,
                                             transcript=captions.transcript, cache_dir=captions.cache_dir)
    with atomic_output(out_path) as tmp:
        with av.open(str(tmp), "w", format=fmt.muxer) as out:
            sources = []
            psnr: list[float] = []
            if fmt.has_video:
                placed = [video_track.PlacedSegment(p, int(round(w.offset / tb)), tuple(_shown(sc)), sc.demuxed,
                                                    sc.gap) for p, w, sc in zip(plans, windows, scans)]
                if clip.format == "gif":
                    from .gif import GifWriter, gif_settings  # (GIFs only: ~2.5 ms of every cut)

                    settings = gif_settings(*info.display_size, info.video.frame_rate or Fraction(30), clip.height)
                    sink = GifWriter(out, settings)
                    width, height = settings.width, settings.height
                    sources.append(video_track.reencode_packets(vin, vstream, placed, _GifAdapter(sink, total)))
                elif video_kind_ == "encode":
                    ostream = add_h264_stream(out, width=width, height=height,
                                              rate=info.video.frame_rate, time_base=tb)
                    _rotate(ostream, info)
                    sink = video_track.H264Sink(ostream, width, height)
                    if overlay is not None:
                        from ..captions.burn_in import (
                            CaptionSink,  # (imported above already)
                        )

                        sink = CaptionSink(sink, overlay)
                    sources.append(video_track.reencode_packets(vin, vstream, placed, sink))
                else:
                    ostream = out.add_stream_from_template(vstream)
                    _fix_tag(ostream, vstream)
                    _rotate(ostream, info)
                    if extradata is not None:
                        ostream.codec_context.extradata = extradata
                    sources.append(video_track.remux_packets(
                        vin, vstream, ostream, placed, splicer=splicer,
                        frame_duration=_frame_duration(scans, info, tb), psnr=psnr))
            if info.has_audio and (clip.format in AUDIO_FORMATS or clip.format == "mp4"):
                ain = inputs.get("audio")
                astream = ain.streams[info.audio.index]
                # a join decodes its audio: an AAC packet after a join needs the one before it
                copy = (clip.format == "mp4" and clip.mode == "keyframe" and len(windows) == 1
                        and info.audio.codec in MP4_AUDIO_COPY)
                if copy:
                    aout = out.add_stream_from_template(astream)
                    sources.append(audio_track.copy_packets(ain, astream, aout, windows))
                else:
                    aout = add_audio_stream(out, fmt.audio_codec or "aac", rate=info.audio.sample_rate,
                                            channels=info.audio.channels)
                    sources.append(audio_track.transcode_packets(ain, astream, aout, windows))
            if clip.format == "mp4":
                sources.extend(_subtitle_sources(info, inputs, out, windows))

            end = 0.0  # seconds: the hot loop stays in floats
            total_s = float(total)
            muxed = 0
            last_report = -1.0
            writeback = _EarlyWriteback(tmp)
            try:
                for _, _, _, tbf, packet in heapq.merge(*(_timed(src, i) for i, src in enumerate(sources))):
                    if packet.pts is not None and packet.stream.type in ("video", "audio"):
                        t = (packet.pts + (packet.duration or 0)) * tbf
                        if t > end:
                            end = t
                    out.mux(packet)
                    muxed += 1
                    if muxed % 64 == 0:
                        writeback.step()
                        if total_s > 0:
                            frac = min(end, total_s) / total_s
                            if frac - last_report >= 0.01:
                                last_report = frac
                                yield Progress("processing", min(end, total_s), total_s, _message(end, windows))
            finally:
                writeback.close()
            if total_s - end > _SHORTFALL and clip.format != "gif":
                raise UnsupportedMedia(
                    f"the source is truncated or damaged: its data ends {total_s - end:.1f} s "
                    f"before the end of the clip", field="source")
        yield Progress("uploading", float(total), float(total), "finishing")
    first = windows[0].start if windows else Fraction(0)
    return ClipResult(
        path=str(out_path),
        file_name=out_path.name,
        format=clip.format,
        quality=_quality_name(clip, height) if fmt.has_video else "",
        start=first - origin,
        # a GIF's last delay is set by the muxer, not by a packet
        duration=Fraction(end).limit_denominator(1_000_000) if end > 0 and clip.format != "gif" else total,
        width=width,
        height=height,
        segments=tuple((w.start - origin, w.end - origin) for w in windows),
        video=video_kind_,
        captioned=overlay is not None,
        cut=cut_report(video_kind_, plans, tb, reason=reason_for(route, video_kind_) if route else "", psnr=psnr),
    )


class _EarlyWriteback:
    """Has the system write a growing output to disk while it is being made, so the fsync that ends
    ``atomic_output`` finds little left to write (a 30 s 1080p stream copy: ~10 ms less).

    ``posix_fadvise(DONTNEED)`` starts writing the range back without waiting for it (Linux), and
    lets the system drop those pages once written: nothing here reads them again.
    """

    STEP = 2 << 20  # bytes

    def __init__(self, path: Path):
        self.path = path
        self.fd: int | None = None
        self.done = 0  # bytes handed to the system so far

    def step(self) -> None:
        if not hasattr(os, "posix_fadvise"):
            return
        try:
            if self.fd is None:
                self.fd = os.open(self.path, os.O_RDONLY)  # the muxer creates it at its first packet
            size = os.fstat(self.fd).st_size
            if size - self.done >= self.STEP:
                os.posix_fadvise(self.fd, self.done, size - self.done, os.POSIX_FADV_DONTNEED)
                self.done = size
        except OSError:
            pass  # only a head start: the fsync does the work regardless

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class _GifAdapter:
    """Lets the GIF writer stand where the H.264 sink does."""

    def __init__(self, writer, end: Fraction):
        self.writer = writer
        self.end = end

    def push(self, frame):
        return self.writer.push(frame, frame.pts * frame.time_base)

    def flush(self):
        return self.writer.flush(self.end)


def _timed(source, order: int):
    """(seconds, source, n, float time base, packet) for merging sources by time.

    Each source's packets share one time base; reading it once keeps Fraction
    arithmetic out of the per-packet path.
    """
    tbf = None
    for n, packet in enumerate(source):
        if tbf is None:
            tbf = float(packet.time_base) if packet.time_base else 0.0
        t = packet.dts if packet.dts is not None else packet.pts
        yield (t * tbf if t is not None else 0.0, order, n, tbf, packet)


def _message(t: float, windows: list[Window]) -> str:
    if len(windows) < 2:
        return "processing"
    i = next((k for k, w in enumerate(windows) if t < float(w.offset + w.duration)), len(windows) - 1)
    return f"processing segment {i + 1}/{len(windows)}"


def _windows(spans) -> list[Window]:
    out, offset = [], Fraction(0)
    for s, e in spans:
        out.append(Window(Fraction(s), Fraction(e), offset))
        offset += Fraction(e) - Fraction(s)
    return out


def _splice(vstream, info: MediaInfo, plans: list[SegmentPlan], route: VideoRoute):
    """The splicer of a copy or smart cut and the output's extradata (None: the source's); when the
    source's bitstream cannot be joined, (None, None, a route that re-encodes the span whole)."""
    encodes = any(st.kind == "encode" for p in plans for st in p.steps)
    from_i = info.video.codec == "h264" and any(st.kind == "copy" and not st.idr for p in plans for st in p.steps)
    try:
        splicer = Splicer(vstream.codec_context, Fraction(vstream.time_base), info.video.frame_rate)
        return splicer, splicer.prepare(encodes=encodes, copies_from_i=from_i), route
    except (ValueError, NotImplementedError) as e:
        reason = f"the {info.video.codec} bitstream cannot be cut without re-encoding ({e})"
        return None, None, VideoRoute(route.mode, route.mode == "keyframe", False, reason)


def _scan_and_plan(vin, vstream, ticks, route: VideoRoute) -> tuple[list[RangeScan], list[SegmentPlan]]:
    """The scan and the plan of each segment ([start, end) in ticks). A keyframe copy of one
    segment reads the two ends only, when its plan keeps everything from its RAP on (the copy then
    reads the middle as it writes it, once); otherwise each segment is read whole."""
    if route.mode == "keyframe" and not route.reencode and len(ticks) == 1:
        (a, b), = ticks
        ends = scan_ends(vin, vstream, a, b)
        if ends is not None:
            plan = plan_segment(ends.packets, a, b, route)
            if _copies_through(plan, ends):
                return [ends], [plan]
    scans = [scan_range(vin, vstream, a, b) for a, b in ticks]
    return scans, [plan_segment(sc.packets, a, b, route) for sc, (a, b) in zip(scans, ticks)]


def _copies_through(plan: SegmentPlan, scan: RangeScan) -> bool:
    """Whether ``plan`` (made on ``scan``'s two ends) is one copy that keeps every head packet from
    its RAP on and runs into the tail: then the gap between them is copied whole."""
    if len(plan.steps) != 1 or plan.steps[0].kind != "copy" or scan.gap is None:
        return False
    step = plan.steps[0]
    listed = [p.pts for p in scan.packets]
    if step.rap not in listed or scan.gap[1] not in step.packets:
        return False
    head = listed[listed.index(step.rap):listed.index(scan.gap[1])]  # (the head ends where the tail starts)
    return list(step.packets[:len(head)]) == head


def _shown(scan: RangeScan) -> list[int]:
    return shown_frames(scan.packets)


def _frame_duration(scans: list[RangeScan], info: MediaInfo, tb: Fraction) -> int:
    """A frame's duration in ticks: the scan's typical packet duration, else from the frame rate."""
    for sc in scans:
        if sc.frame_duration:
            return sc.frame_duration
    rate = info.video.frame_rate or Fraction(30)
    return max(1, round(1 / (rate * tb)))


def _quality_name(clip: ValidClip, height: int) -> str:
    return clip.quality if clip.quality and clip.height else quality_name(height)


def _rotate(stream, info: MediaInfo) -> None:
    if info.video.rotation:
        stream.set_display_rotation(info.video.rotation)


def _fix_tag(out_stream, in_stream) -> None:
    codec = in_stream.codec_context.name
    if codec == "hevc":
        out_stream.codec_tag = "hvc1"  # what Apple players require
    elif codec == "h264":
        out_stream.codec_tag = "avc1"


def _subtitle_sources(info: MediaInfo, inputs: Inputs, out, windows):
    text_tracks = [s for s in info.subtitles if s.is_text_subtitle]
    if not text_tracks:
        return []
    from . import subtitle_track  # (text subtitles only: ~4 ms of every cut)

    sources = []
    for s in text_tracks:
        ostream = subtitle_track.add_mov_text_stream(out, inputs.get(f"sub{s.index}").streams[s.index])
        sources.append(subtitle_track.subtitle_packets(info.path, s.index, windows, ostream))
    return sources
