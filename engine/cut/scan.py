"""Packet scans (demux only, no decode): the GOPs around a cut, and a file's keyframes."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import av

from ..errors import UnsupportedMedia
from .plan import Gop


@dataclass(frozen=True, slots=True)
class RangeScan:
    gops: tuple[Gop, ...]
    time_base: Fraction
    reorder_delay: int  # max (pts - dts) of the keyframes seen, in time_base units
    frame_duration: int  # typical packet duration, in time_base units


def seek_keyframe(container, stream, pts: int) -> None:
    """Seek so that the next packet of ``stream`` is a keyframe shown at or before ``pts``."""
    container.seek(max(0, pts), stream=stream, backward=True, any_frame=False)


def scan_range(container, stream, start: int, end: int) -> RangeScan:
    """The GOPs that cover [start, end) of ``stream``, plus the first keyframe after.

    ``start``/``end`` are PTS in the stream's time base. Starts at the keyframe
    at or before ``start`` (seeking further back when the demuxer's seek lands
    on a keyframe shown after ``start``).
    """
    tb = Fraction(stream.time_base)
    back = 0
    one_second = max(1, int(1 / tb))
    for _ in range(6):
        gops, delay, dur = _scan_from(container, stream, start - back, start, end)
        if not gops or gops[0].key_pts <= start or start - back <= _first_pts(stream):
            break
        back = back * 2 + one_second
    if not gops:
        raise UnsupportedMedia("no video frames were found in the requested range", field="start")
    return RangeScan(tuple(gops), tb, delay, dur)


def _first_pts(stream) -> int:
    return stream.start_time or 0


def _scan_from(container, stream, seek_pts: int, start: int, end: int):
    seek_keyframe(container, stream, seek_pts)
    gops: list[Gop] = []
    key = None  # (pts, dts)
    order: list[tuple[int, int | None]] = []  # (pts, dts) of the current GOP, in decode order
    delay = 0
    durations: dict[int, int] = {}

    def close() -> None:
        nonlocal delay
        gops.append(Gop(key[0], key[1], tuple(sorted(p for p, _ in order))))
        delay = max(delay, _gop_delay(order))

    try:
        for packet in container.demux(stream):
            pts = packet.pts if packet.pts is not None else packet.dts
            if pts is None:
                continue  # the flush packet
            if packet.duration:
                durations[packet.duration] = durations.get(packet.duration, 0) + 1
            if packet.is_keyframe:
                if key is not None:
                    close()
                    if key[0] >= end:
                        break
                key = (pts, packet.dts if packet.dts is not None else pts)
                order = []
            if key is None:
                continue  # before the first keyframe
            order.append((pts, packet.dts))
        else:
            if key is not None:
                close()
    except av.error.FFmpegError as e:
        raise UnsupportedMedia(f"the video could not be read: {e}", field="source") from None
    duration = max(durations, key=durations.get) if durations else 0
    return gops, delay, duration


def _gop_delay(order: list[tuple[int, int | None]]) -> int:
    """How far the decode clock runs behind the presentation clock at a GOP's keyframe.

    The keyframe's ``pts - dts`` when the demuxer gives its DTS. Matroska
    gives none for the first packets after a seek; FFmpeg then derives DTS
    as the sorted PTS delayed by the reorder depth, so the first packet that
    has one tells the delay: the j-th smallest PTS minus its DTS.
    """
    if not order:
        return 0
    key_pts, key_dts = order[0]
    if key_dts is not None:
        return max(0, key_pts - key_dts)
    shown = sorted(p for p, _ in order)
    for j, (_, dts) in enumerate(order):
        if dts is not None:
            return max(0, shown[j] - dts)
    return 0
