"""Open a file, check it is media we accept, and describe it as a MediaInfo.

:class:`Inputs` holds the open containers of one source, which the probe and the
export share. This module imports only PyAV and a few small ones, so a worker can
start opening a source while it imports the rest of the engine.

Native code: call this in a worker process (``engine.process``) when the file is
untrusted. Every failure becomes ``UnsupportedMedia`` or ``NotFound`` with a
sentence a user can act on; FFmpeg's own messages are translated here, once.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import av

from ..errors import UnsupportedMedia
from .info import MediaInfo, StreamInfo
from .signature import AUDIO_CONTAINERS, VIDEO_CONTAINERS, check_signature

TEXT_SUBTITLE_CODECS = frozenset({"subrip", "srt", "ass", "ssa", "mov_text", "webvtt", "text"})

_ISO_EXT = {".mp4": "mp4", ".mov": "mov", ".m4v": "m4v", ".m4a": "m4a"}
_FAMILY_CONTAINER = {
    "riff-avi": "avi",
    "riff-wav": "wav",
    "flv": "flv",
    "mp3": "mp3",
    "aac": "aac",
    "flac": "flac",
    "ogg": "ogg",
    "asf": "wma",
}
# Files end before their header says when the last packet lands this much early.
_TRUNCATION_SLACK = Fraction(3)


class Inputs:
    """Open source containers, one per role, reused across the outputs of one job.

    Each track executor seeks its own container, so tracks interleave freely.
    ``prefetch`` opens one on a helper thread (av.open releases the GIL) while
    the caller does something else, e.g. probes with another.
    """

    def __init__(self, path: str):
        self.path = path
        self._open: dict[str, av.container.InputContainer] = {}
        self._pending: dict[str, tuple[threading.Thread, dict]] = {}

    def _open_container(self):
        c = av.open(self.path, metadata_errors="ignore")
        for s in c.streams.video:
            s.thread_type = "AUTO"
        return c

    def prefetch(self, role: str) -> None:
        if role in self._open or role in self._pending:
            return
        box: dict = {}

        def run():
            try:
                box["container"] = self._open_container()
            except Exception:  # reported by get(), which opens again and raises properly
                pass

        t = threading.Thread(target=run, name=f"open-{role}", daemon=True)
        t.start()
        self._pending[role] = (t, box)

    def get(self, role: str):
        c = self._open.get(role)
        if c is None and role in self._pending:
            t, box = self._pending.pop(role)
            t.join()
            c = box.get("container")
        if c is None:
            try:
                c = self._open_container()
            except av.error.FFmpegError as e:
                raise UnsupportedMedia(f"the source could not be opened: {e}", field="source") from None
        self._open[role] = c
        return c

    def close(self) -> None:
        for t, box in self._pending.values():
            t.join()
            if "container" in box:
                box["container"].close()
        self._pending.clear()
        for c in self._open.values():
            c.close()
        self._open.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def probe(path: str | os.PathLike, *, opener=None, thorough: bool = True) -> MediaInfo:
    """Describe ``path`` or raise ``NotFound``/``UnsupportedMedia`` saying why not.

    ``thorough`` (an import) decodes the first video and audio frames, proving
    they decode and reading the video's rotation; without it nothing is decoded
    (a stream copy needs neither) and :func:`with_frame_facts` can add the
    rotation later. ``opener`` returns an already open container to use and
    leave open (the export reuses it).
    """
    p = Path(path)
    family = check_signature(p)
    size = p.stat().st_size
    try:
        container = opener() if opener else av.open(str(p), metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as e:
        raise UnsupportedMedia(f"{p.name} could not be read as media: {_reason(e)}", field="source") from None
    with contextlib.nullcontext(container) if opener else container:
        undecodable = next((s for s in container.streams
                            if s.type in ("video", "audio") and s.codec_context is None), None)
        if undecodable is not None:  # FFmpeg found no decoder: an unknown codec or a damaged header
            raise UnsupportedMedia(f"{p.name} is damaged or uses an unknown codec: its {undecodable.type} "
                                   "stream cannot be decoded", field="source")
        # cover art (an attached picture) is not the clip's video
        streams = tuple(_stream_info(s) for s in container.streams if not _is_cover_art(s))
        if not any(s.kind in ("video", "audio") for s in streams):
            raise UnsupportedMedia(f"{p.name} has no video or audio stream", field="source")
        name = _container_name(family, p, container, streams)
        duration = _duration(container, streams)
        if duration <= 0:
            raise UnsupportedMedia(f"{p.name} has no playable duration", field="source")
        if thorough:
            streams = _check_decodes(p, container, streams)
            # (a clip of a non-thorough probe finds a truncated source when its data runs out)
            _check_not_truncated(p, container, duration)
    return MediaInfo(
        path=str(p.resolve()),
        size=size,
        format_detected=container.format.name,
        container=name,
        duration=duration,
        streams=streams,
    )


def _reason(e: Exception) -> str:
    msg = getattr(e, "strerror", None) or str(e)
    return msg.rstrip(".").lower() if msg else type(e).__name__


def _stream_info(s: av.stream.Stream) -> StreamInfo:
    tb = Fraction(s.time_base) if s.time_base else Fraction(1, 1000)
    start = Fraction(s.start_time) * tb if s.start_time is not None else Fraction(0)
    duration = Fraction(s.duration) * tb if s.duration else None
    codec = _codec_name(s)
    common = dict(index=s.index, kind=s.type, codec=codec, time_base=tb, start_time=start, duration=duration)
    if s.type == "video":
        cc = s.codec_context
        rate = s.average_rate or s.guessed_rate
        return StreamInfo(
            **common,
            width=cc.width,
            height=cc.height,
            frame_rate=Fraction(rate) if rate else None,
            pix_fmt=cc.pix_fmt,
            profile=s.profile,
        )
    if s.type == "audio":
        cc = s.codec_context
        return StreamInfo(**common, sample_rate=cc.sample_rate, channels=cc.channels, profile=s.profile)
    if s.type == "subtitle":
        return StreamInfo(**common, language=s.language, is_text_subtitle=codec in TEXT_SUBTITLE_CODECS)
    return StreamInfo(**common)


def _codec_name(s) -> str:
    """The codec's canonical name ("subrip", not the decoder's "srt")."""
    # a stream FFmpeg has no decoder for (a damaged header) has no codec context, nor a .codec
    codec = s.codec_context.codec if s.codec_context is not None else getattr(s, "codec", None)
    if codec is None:
        return "unknown"
    return getattr(codec, "canonical_name", None) or codec.name


def _container_name(family: str, p: Path, container, streams) -> str:
    ext = p.suffix.lower()
    has_video = any(s.kind == "video" for s in streams)
    if family == "iso":
        if ext in _ISO_EXT:
            return _ISO_EXT[ext]
        return "mp4" if has_video else "m4a"
    if family == "matroska":
        return "webm" if ext == ".webm" or "webm" == container.format.name else "mkv"
    name = _FAMILY_CONTAINER[family]
    if name == "wma" and has_video:
        raise UnsupportedMedia(
            f"{p.name} is a Windows Media video, which is not supported "
            f"(video: {', '.join(VIDEO_CONTAINERS)})",
            field="source",
        )
    if name in AUDIO_CONTAINERS and name not in ("avi", "flv") and has_video:
        # an audio container that carries pictures (cover art) stays audio
        pass
    return name


def _duration(container, streams) -> Fraction:
    if container.format.name in _ESTIMATED_DURATION:
        return _counted_duration(container)
    if container.duration:
        return Fraction(container.duration, av.time_base)
    ends = [s.start_time + s.duration for s in streams if s.duration]
    return max(ends) if ends else Fraction(0)


# Raw streams whose duration FFmpeg only estimates from the bit rate: count the packets instead.
_ESTIMATED_DURATION = frozenset({"aac"})


def _counted_duration(container) -> Fraction:
    stream = container.streams.audio[0] if container.streams.audio else container.streams[0]
    tb = Fraction(stream.time_base)
    end = 0
    try:
        for packet in container.demux(stream):
            if packet.pts is not None:
                end = max(end, packet.pts + (packet.duration or 0))
    except av.error.FFmpegError:
        pass
    container.seek(0)
    return end * tb


def with_frame_facts(info: MediaInfo, container) -> MediaInfo:
    """``info`` with what only a decoded video frame tells (rotation), for a non-thorough probe."""
    if info.video is None:
        return info
    try:
        container.seek(0, backward=True)  # the probe left it at the end
    except av.error.FFmpegError:
        pass
    streams = _check_decodes(Path(info.path), container, info.streams, audio=False)
    return replace(info, streams=streams)


def _check_decodes(p: Path, container, streams: tuple[StreamInfo, ...], *, audio: bool = True
                   ) -> tuple[StreamInfo, ...]:
    """Decode the first frame of the first video and audio stream.

    Catches damaged headers that open but do not play, and reads what only a
    frame knows (the rotation the decoder applies from the display matrix).

    A video decoder holds its first frame back for a few packets (B-frame
    reordering, one packet per frame thread: five at 1080p on two cores,
    each a frame to decode), so once it has taken a keyframe it is drained:
    that frame comes out now, and the decoder is reset for whoever reads on.
    """
    wanted = {}
    for kind in ("video", "audio") if audio else ("video",):
        s = next((s for s in container.streams if s.type == kind and not _is_cover_art(s)), None)
        if s is not None:
            wanted[s.index] = s
    got: dict[int, object] = {}
    try:
        if not _first_frames(container, wanted, got, drain=True):
            # a keyframe the decoder does not show by itself (hidden): from the top, the long way
            with contextlib.suppress(av.error.FFmpegError):
                container.seek(0, backward=True)
            _first_frames(container, wanted, got, drain=False)
    except av.error.FFmpegError as e:
        raise UnsupportedMedia(f"{p.name} is damaged: {_reason(e)}", field="source") from None
    missing = [wanted[i].type for i in wanted if i not in got]
    if missing:
        raise UnsupportedMedia(
            f"{p.name} is damaged: its {' and '.join(missing)} stream could not be decoded",
            field="source",
        )
    out = []
    for s in streams:
        frame = got.get(s.index)
        if s.kind == "video" and frame is not None:
            rotation = int(round(getattr(frame, "rotation", 0) or 0)) % 360
            s = _replace(s, rotation=rotation, width=frame.width, height=frame.height)
        out.append(s)
    return tuple(out)


def _first_frames(container, wanted: dict, got: dict, *, drain: bool) -> bool:
    """Decode until each stream of ``wanted`` gave a frame (into ``got``, by stream index), or
    the file ends; with ``drain``, False (at once) when a drained keyframe gave none."""
    for packet in container.demux(list(wanted.values())):
        if packet.stream.index in got:
            continue
        frames = packet.decode()
        if not frames and drain and packet.is_keyframe and packet.stream.type == "video":
            frames = _drained(packet.stream.codec_context)
            if not frames:
                return False
        if frames:
            got[packet.stream.index] = frames[0]
        if len(got) == len(wanted):
            break
    return True


def _drained(codec_context) -> list:
    """The frames a decoder holds back, then the decoder reset (as after a seek)."""
    frames = codec_context.decode(None)
    codec_context.flush_buffers()
    return frames


def _is_cover_art(s) -> bool:
    return s.type == "video" and bool(s.disposition & av.stream.Disposition.attached_pic)


def _check_not_truncated(p: Path, container, duration: Fraction) -> None:
    """A file cut short still opens; its last packets are missing. Read its end.

    Seeks a few seconds before the end the header promises and reads on until
    a packet gets near that end (the file ending first is the fault).
    """
    streams = [s for s in container.streams if s.type in ("video", "audio") and not _is_cover_art(s)]
    if not streams or duration < 2 * _TRUNCATION_SLACK:
        return
    target = duration - _TRUNCATION_SLACK
    start = min(Fraction(s.start_time or 0) * Fraction(s.time_base) for s in streams)
    last = None
    try:
        container.seek(int((start + target - _TRUNCATION_SLACK) * av.time_base), backward=True)
        ticks = {s.index: (start + target) / Fraction(s.time_base) for s in streams}  # `target`, per stream
        for packet in container.demux(streams):
            if packet.pts is not None:
                t = Fraction(packet.pts) * packet.time_base
                last = t if last is None else max(last, t)
                if packet.pts >= ticks[packet.stream.index]:
                    break  # near enough the end
    except av.error.FFmpegError:
        pass
    if last is not None:
        last -= start
    if last is None or last < target:
        reached = f"{float(last):.1f} s" if last is not None else "nothing readable"
        raise UnsupportedMedia(
            f"{p.name} is truncated or damaged: its header promises {float(duration):.1f} s "
            f"but its data ends at {reached}",
            field="source",
        )


def _replace(s: StreamInfo, **changes) -> StreamInfo:
    return replace(s, **changes)
