"""A file's keyframes, from a packet scan (demux only, no decode), cached on disk.

The timeline snaps keyframe-mode edges to these, and shows where a cut really
lands. The index also keeps every video packet's presentation time in decode
order with its flags (random-access picture, leading picture: see
:mod:`engine.media.packets`), which is what ``engine.cut.preview`` plans a
cut from without decoding. The scan is a generator of Progress; the cache is
keyed by the file's path, size and modification time, so a changed file is
scanned again.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from ..atomic import atomic_output
from ..errors import UnsupportedMedia
from ..progress import Progress
from .packets import RAP, PacketClassifier, VideoPacket
from .signature import check_signature

_VERSION = 2  # 2: packets in decode order with their flags


@dataclass(frozen=True, slots=True)
class KeyframeIndex:
    time_base: Fraction
    keyframes: tuple[int, ...]  # PTS of every keyframe (random-access picture) of the first video stream, sorted
    packets: tuple[int, ...] = ()  # PTS of every video packet, in decode order
    flags: bytes = b""  # each packet's flags (engine.media.packets), one byte each
    codec: str = ""  # FFmpeg's decoder name of the stream

    def video_packets(self, start: int = 0, stop: int | None = None) -> list[VideoPacket]:
        """The packets [start, stop) in decode order (indices into ``packets``)."""
        stop = len(self.packets) if stop is None else stop
        return [VideoPacket(self.packets[i], self.flags[i]) for i in range(start, stop)]

    def times(self) -> list[Fraction]:
        return [k * self.time_base for k in self.keyframes]

    def at_or_before(self, t: Fraction) -> Fraction | None:
        """The keyframe a keyframe-mode cut at ``t`` really starts on."""
        i = bisect.bisect_right(self.keyframes, t / self.time_base) - 1
        return self.keyframes[i] * self.time_base if i >= 0 else None

    def after(self, t: Fraction) -> Fraction | None:
        i = bisect.bisect_right(self.keyframes, t / self.time_base)
        return self.keyframes[i] * self.time_base if i < len(self.keyframes) else None

    def nearest(self, t: Fraction) -> Fraction | None:
        options = [k for k in (self.at_or_before(t), self.after(t)) if k is not None]
        return min(options, key=lambda k: abs(k - t)) if options else None


def _cache_file(path: Path, cache: Path) -> Path:
    st = path.stat()
    key = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{_VERSION}"
    return cache / f"{hashlib.sha1(key.encode()).hexdigest()}.json"


def keyframe_index(path: str | os.PathLike, cache: str | os.PathLike | None = None):
    """Scan (or read from ``cache``) the keyframes of ``path``; yields Progress, returns KeyframeIndex."""
    p = Path(path)
    check_signature(p)
    cached = _cache_file(p, Path(cache)) if cache else None
    if cached and cached.exists():
        try:
            return _from_json(json.loads(cached.read_text()))
        except (ValueError, KeyError, OSError):
            pass  # a damaged cache entry is rebuilt
    index = yield from _scan(p)
    if cached:
        with atomic_output(cached) as tmp:
            tmp.write_text(json.dumps(_to_json(index), separators=(",", ":")))
    return index


def _to_json(index: KeyframeIndex) -> dict:
    # decode-order PTS as differences from the packet before: short numbers, a small file
    deltas = [b - a for a, b in zip((0, *index.packets), index.packets)]
    return {"time_base": str(index.time_base), "keyframes": list(index.keyframes), "codec": index.codec,
            "packets": deltas, "flags": index.flags.hex()}


def _from_json(d: dict) -> KeyframeIndex:
    pts, t = [], 0
    for delta in d["packets"]:
        t += delta
        pts.append(t)
    flags = bytes.fromhex(d["flags"])
    if len(flags) != len(pts):
        raise ValueError("packet flags do not match the packets")
    return KeyframeIndex(Fraction(d["time_base"]), tuple(d["keyframes"]), tuple(pts), flags, d["codec"])


def _scan(p: Path):
    try:
        container = av.open(str(p), metadata_errors="ignore")
    except av.error.FFmpegError as e:
        raise UnsupportedMedia(f"{p.name} could not be read: {e}", field="source") from None
    with container:
        if not container.streams.video:
            raise UnsupportedMedia(f"{p.name} has no video, so it has no keyframes", field="source")
        stream = container.streams.video[0]
        tb = Fraction(stream.time_base)
        total = float(container.duration / av.time_base) if container.duration else 0.0
        classifier = PacketClassifier(stream.codec_context.name, stream.codec_context.extradata)
        keys: list[int] = []
        pts_list: list[int] = []
        flags = bytearray()
        n = 0
        try:
            for packet in container.demux(stream):
                n += 1
                pts = packet.pts if packet.pts is not None else packet.dts
                if pts is None or not packet.size:
                    continue  # the flush packet
                f = classifier.flags(pts, packet.is_keyframe, packet)
                pts_list.append(pts)
                flags.append(f)
                if f & RAP:
                    keys.append(pts)
                if n % 2000 == 0:
                    yield Progress("indexing", min(total, float(pts * tb)), total, "finding keyframes")
        except av.error.FFmpegError as e:
            raise UnsupportedMedia(f"{p.name} is damaged: {e}", field="source") from None
    return KeyframeIndex(tb, tuple(sorted(set(keys))), tuple(pts_list), bytes(flags), stream.codec_context.name)
