"""A strip of small pictures at evenly spaced times of a video, for the timeline, cached on disk.

Each picture is the keyframe at or before its slot's time: the file is seeked to the slot and the
decoder is told to skip everything but keyframes (``skip_frame="NONKEY"``) and the deblocking filter
(invisible at thumbnail size), so one picture costs one seek and one cheap keyframe decode however
long the file is (~12 ms of one core for 1080p H.264: ~3 s for a 2-hour file's 240 pictures).
Pictures are small JPEGs, ready for a GUI to load and cheap to keep. The work is a generator of Progress; the cache is keyed by the file's path,
size and modification time, the number of slots and the picture height.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import struct
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from ..atomic import atomic_output
from ..errors import UnsupportedMedia
from ..paths import cache_dir
from ..progress import Progress
from .signature import check_signature

_VERSION = 1
_MAGIC = b"FCTHUMB1"
JPEG_QUALITY = 82


@dataclass(frozen=True, slots=True)
class Thumbnail:
    """One picture of the strip: the slot it stands for and the keyframe it shows."""

    time: Fraction  # the slot's centre, seconds on the file's timeline
    frame_time: Fraction  # presentation time of the keyframe shown (at or before ``time``)
    width: int
    height: int
    jpeg: bytes


@dataclass(frozen=True, slots=True)
class ThumbnailStrip:
    """``len(thumbnails)`` pictures, slot i standing for [start + i·d/n, start + (i+1)·d/n)."""

    start: Fraction
    duration: Fraction
    height: int
    thumbnails: tuple[Thumbnail, ...]

    def __len__(self) -> int:
        return len(self.thumbnails)

    def slot_at(self, t: float | Fraction) -> int | None:
        """Index of the slot that holds time ``t`` (clamped to the strip), or None for an empty strip."""
        n = len(self.thumbnails)
        if not n or self.duration <= 0:
            return None
        i = math.floor((Fraction(t) - self.start) / self.duration * n)
        return min(n - 1, max(0, i))

    def at(self, t: float | Fraction) -> Thumbnail | None:
        i = self.slot_at(t)
        return None if i is None else self.thumbnails[i]


def slot_times(start: Fraction, duration: Fraction, count: int) -> list[Fraction]:
    """The centres of ``count`` equal slots covering [start, start + duration)."""
    return [start + (2 * i + 1) * duration / (2 * count) for i in range(count)]


def thumbnails(path: str | os.PathLike, count: int, height: int = 72, cache=None):
    """Pictures at ``count`` evenly spaced times of ``path``; yields Progress, returns ThumbnailStrip.

    ``cache`` is a folder (default: ``cache_dir("thumbnails")``), or False for no cache. A file
    without video gives an empty strip.
    """
    if count < 1 or height < 8:
        raise ValueError(f"need count >= 1 and height >= 8, not count={count}, height={height}")
    p = Path(path)
    check_signature(p)
    folder = cache_dir("thumbnails") if cache is None else (Path(cache) if cache is not False else None)
    cached = _cache_file(p, folder, count, height) if folder else None
    if cached and cached.exists():
        try:
            return _read(cached.read_bytes())
        except (ValueError, KeyError, OSError, struct.error):
            pass  # a damaged cache entry is made again
    strip = yield from _decode(p, count, height)
    if cached:
        with atomic_output(cached) as tmp:
            tmp.write_bytes(_write(strip))
    return strip


# ------------------------------------------------------------------------------------------ decoding


def _decode(p: Path, count: int, height: int):
    try:
        container = av.open(str(p), metadata_errors="ignore")
    except av.error.FFmpegError as e:
        raise UnsupportedMedia(f"{p.name} could not be read: {e}", field="source") from None
    with container:
        start = Fraction(container.start_time or 0, av.time_base)
        duration = Fraction(container.duration or 0, av.time_base)
        if not container.streams.video or duration <= 0:
            return ThumbnailStrip(start, max(duration, Fraction(0)), height, ())
        stream = container.streams.video[0]
        _cheap_keyframe_decoder(stream.codec_context)
        tb = Fraction(stream.time_base)
        made: dict[int, Thumbnail] = {}  # keyframe pts -> its picture, for slots that share a keyframe
        shots: list[Thumbnail] = []
        previous: Thumbnail | None = None
        for i, t in enumerate(slot_times(start, duration, count)):
            frame = _keyframe_at_or_before(container, stream, t, tb)
            if frame is None:
                shot = previous  # past the last decodable keyframe: repeat the one before
            elif frame.pts in made:
                shot = made[frame.pts]
            else:
                picture = _jpeg(frame, height)
                shot = made[frame.pts] = Thumbnail(t, Fraction(frame.pts) * tb, *picture)
            if shot is not None:
                shot = Thumbnail(t, shot.frame_time, shot.width, shot.height, shot.jpeg)
                shots.append(shot)
                previous = shot
            yield Progress("thumbnails", i + 1, count, "drawing the thumbnail strip")
        if len(shots) < count:  # the first slots came before any keyframe decoded: give them the first picture
            if not shots:
                return ThumbnailStrip(start, duration, height, ())
            first = shots[0]
            missing = slot_times(start, duration, count)[: count - len(shots)]
            shots = [Thumbnail(t, first.frame_time, first.width, first.height, first.jpeg) for t in missing] + shots
        return ThumbnailStrip(start, duration, height, tuple(shots))


def _cheap_keyframe_decoder(codec_context) -> None:
    """Set the decoder up for pictures a few dozen pixels high, one keyframe at a time.

    Only keyframes are decoded (``skip_frame``). The in-loop deblocking filter is skipped: its
    smoothing of block edges cannot be seen once the picture is scaled down 15 times, and it is
    about half the cost of decoding an H.264 keyframe. One thread: a single keyframe gains nothing
    from frame threads, nor from slice threads unless it was encoded in slices, and this is
    background work beside a player that wants the other cores.
    """
    codec_context.skip_frame = "NONKEY"
    codec_context.thread_count = 1
    codec_context.options = {**codec_context.options, "skip_loop_filter": "all"}


def _keyframe_at_or_before(container, stream, t: Fraction, tb: Fraction):
    try:
        container.seek(math.floor(t / tb), stream=stream, backward=True, any_frame=False)
        for frame in container.decode(stream):
            if frame.pts is not None:
                return frame
    except av.error.EOFError:
        return None
    except av.error.FFmpegError as e:
        raise UnsupportedMedia(f"{Path(container.name).name} is damaged: {e}", field="source") from None
    return None


def _jpeg(frame, height: int) -> tuple[int, int, bytes]:
    """The frame as it is shown (aspect ratio, display rotation), ``height`` pixels high, as a JPEG."""
    sar = frame.sample_aspect_ratio if getattr(frame, "sample_aspect_ratio", None) else Fraction(1)
    display_w, display_h = frame.width * Fraction(sar), Fraction(frame.height)
    rotation = (getattr(frame, "rotation", 0) or 0) % 360
    turned = rotation in (90, 270)
    # scale so that, after turning, the picture is `height` high
    scale = height / (display_w if turned else display_h)
    w, h = max(2, round(display_w * scale)), max(2, round(display_h * scale))
    image = frame.reformat(width=w, height=h, format="rgb24").to_image()
    if rotation:
        image = image.rotate(rotation, expand=True)  # PIL turns counter-clockwise, as the display matrix says
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY)
    return image.width, image.height, out.getvalue()


# --------------------------------------------------------------------------------------------- cache


def _cache_file(p: Path, folder: Path, count: int, height: int) -> Path:
    st = p.stat()
    key = f"{p.resolve()}|{st.st_size}|{st.st_mtime_ns}|{count}|{height}|{_VERSION}"
    return folder / f"{hashlib.sha1(key.encode()).hexdigest()}.thumbs"


def _write(strip: ThumbnailStrip) -> bytes:
    header = {
        "start": str(strip.start),
        "duration": str(strip.duration),
        "height": strip.height,
        "items": [
            {"time": str(t.time), "frame_time": str(t.frame_time), "w": t.width, "h": t.height, "size": len(t.jpeg)}
            for t in strip.thumbnails
        ],
    }
    head = json.dumps(header).encode()
    return b"".join([_MAGIC, struct.pack("<I", len(head)), head, *(t.jpeg for t in strip.thumbnails)])


def _read(data: bytes) -> ThumbnailStrip:
    if not data.startswith(_MAGIC):
        raise ValueError("not a thumbnail cache file")
    at = len(_MAGIC)
    (size,) = struct.unpack_from("<I", data, at)
    at += 4
    header = json.loads(data[at : at + size])
    at += size
    shots = []
    for item in header["items"]:
        jpeg = data[at : at + item["size"]]
        if len(jpeg) != item["size"]:
            raise ValueError("thumbnail cache file is truncated")
        at += item["size"]
        shots.append(Thumbnail(Fraction(item["time"]), Fraction(item["frame_time"]), item["w"], item["h"], jpeg))
    return ThumbnailStrip(Fraction(header["start"]), Fraction(header["duration"]), header["height"], tuple(shots))
