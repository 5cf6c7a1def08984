"""Packet scans (demux only, no decode): the video packets around a cut, classified for the planner."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from fractions import Fraction

import av

from ..errors import UnsupportedMedia
from ..media.packets import RAP, PacketClassifier, VideoPacket


@dataclass(frozen=True, slots=True)
class RangeScan:
    packets: tuple[VideoPacket, ...]  # decode order, from a RAP at or before the start
    time_base: Fraction
    frame_duration: int  # typical packet duration, in time_base units (0 when none is known)
    # the demuxed packets themselves, one per entry of ``packets`` (their payloads are reference
    # counted): a copy step takes them instead of reading the range again. Empty when the range's
    # payload passed KEEP_BYTES (a long segment), so memory stays bounded.
    demuxed: tuple = ()
    # A scan of a keyframe copy's two ends only (``scan_ends``): in the file, the packets from the
    # RAP shown at ``gap[0]`` up to the RAP shown at ``gap[1]`` (decode order, whole GOPs) lie
    # between the listed head and tail and are not listed. None: every packet is listed.
    gap: tuple[int, int] | None = None
    # every packet came with a DTS, each later than the one before (an MP4's do; a Matroska
    # file's often have none): a copy can keep them
    dts_ok: bool = False


# The payload a scan keeps for the copy (a 30 s 1080p range is ~30 MB). Reading a range once instead
# of twice is most of what a keyframe cut costs beyond ffmpeg's one pass.
KEEP_BYTES = 192 * 1024 * 1024


def seek_keyframe(container, stream, pts: int) -> None:
    """Seek so that the next packet of ``stream`` is a keyframe shown at or before ``pts``."""
    container.seek(max(0, pts), stream=stream, backward=True, any_frame=False)


def scan_ends(container, stream, start: int, end: int) -> RangeScan | None:
    """What a keyframe copy of [start, end) is planned on, read at its two ends only: the packets
    :func:`scan_range` gives for the first tick of the range (the head: its RAP, through the GOP
    after it) and for the last one (the tail), with the ``gap`` between them. The copy reads the
    gap as it writes it, so a long range is read once, as it is copied. None when the two ends'
    packets meet (a short range: :func:`scan_range` reads it whole)."""
    head, after_head = _scan(container, stream, start, start + 1)
    if after_head is None or end - 1 <= after_head:
        return None
    tail, _ = _scan(container, stream, end - 1, end)
    tail_rap = tail.packets[0].pts if tail.packets[0].rap else None
    if tail_rap is None or tail_rap < after_head or not (head.dts_ok and tail.dts_ok):
        return None
    return RangeScan(head.packets + tail.packets, head.time_base, head.frame_duration or tail.frame_duration,
                     gap=(after_head, tail_rap), dts_ok=True)


def scan_range(container, stream, start: int, end: int) -> RangeScan:
    """The packets that a cut of [start, end) of ``stream`` is planned on (PTS in its time base).

    From a RAP shown at or before ``start`` (seeking further back when the demuxer's seek lands
    on one shown after it) to just before the second RAP shown at or after ``end``: the leading
    pictures of the first of those can be shown before ``end``, and nothing after the second can.
    The keyframe index covers the same packets for the same cut (``preview.py``).
    """
    return _scan(container, stream, start, end)[0]


def _scan(container, stream, start: int, end: int) -> tuple[RangeScan, int | None]:
    """:func:`scan_range`'s scan, and the PTS of the RAP it stopped before (None: the stream ended)."""
    tb = Fraction(stream.time_base)
    back = 0
    one_second = max(1, int(1 / tb))
    first = stream.start_time or 0
    for _ in range(8):
        packets, duration, demuxed, stop, dts_ok = _scan_from(container, stream, start - back, end)
        first_rap = next((p.pts for p in packets if p.rap), None)
        if first_rap is not None and (first_rap <= start or start - back <= first):
            break
        back = back * 2 + one_second
    if not any(p.rap for p in packets):
        raise UnsupportedMedia("no video frames were found in the requested range", field="start")
    return RangeScan(tuple(packets), tb, duration, tuple(demuxed), dts_ok=dts_ok), stop


def _scan_from(container, stream, seek_pts: int, end: int):
    """(packets, typical duration, the demuxed packets kept, the PTS of the RAP it stopped before,
    whether the DTS were all there and rising)."""
    seek_keyframe(container, stream, seek_pts)
    cc = stream.codec_context
    classifier = PacketClassifier(cc.name, cc.extradata)
    packets: list[VideoPacket] = []
    demuxed: list | None = []
    kept = 0
    durations: dict[int, int] = {}
    raps_past_end = 0
    stop = None
    last_dts, dts_ok = None, True
    try:
        for packet in container.demux(stream):
            pts = packet.pts if packet.pts is not None else packet.dts
            if pts is None or not packet.size:
                continue  # the flush packet
            flags = classifier.flags(pts, packet.is_keyframe, packet)
            if flags & RAP and pts >= end:
                raps_past_end += 1
                if raps_past_end == 2:
                    stop = pts
                    break
            if packet.duration:
                durations[packet.duration] = durations.get(packet.duration, 0) + 1
            dts = packet.dts
            if dts is None or (last_dts is not None and dts <= last_dts) or dts > pts:
                dts_ok = False
            last_dts = dts
            packets.append(VideoPacket(pts, flags))
            if demuxed is not None:
                kept += packet.size
                demuxed = demuxed if kept <= KEEP_BYTES else None
                if demuxed is not None:
                    demuxed.append(packet)
    except av.error.FFmpegError as e:
        raise UnsupportedMedia(f"the video could not be read: {e}", field="source") from None
    duration = max(durations, key=durations.get) if durations else 0
    return packets, duration, demuxed or [], stop, dts_ok


def index_range(packets_pts, flags: bytes, start: int, end: int) -> list[VideoPacket]:
    """The same packets as :func:`scan_range`, taken from a whole file's packet table (the keyframe
    index: PTS in decode order and their flags) instead of the file: from the last RAP shown at or
    before ``start`` (else the first) to just before the second RAP shown at or after ``end``.

    Quick on a long file, for a preview redrawn as the user drags a cut: the RAPs are found by
    ``bytes`` methods (a 2-hour file has ~200,000 packets and a few thousand RAPs) and, as RAPs are
    shown in decode order, the two ends by bisection over them.
    """
    positions = [m.start() for m in _ONE.finditer(flags.translate(_RAP_BYTE))]
    if not positions:
        return []
    rap_pts = [packets_pts[i] for i in positions]
    k = max(0, bisect.bisect_right(rap_pts, start) - 1)
    j = bisect.bisect_left(rap_pts, end, lo=k) + 1  # the second RAP at or after end
    stop = positions[j] if j < len(positions) else len(packets_pts)
    return [VideoPacket(packets_pts[i], flags[i]) for i in range(positions[k], stop)]


_RAP_BYTE = bytes(1 if b & RAP else 0 for b in range(256))  # a packet's flags -> 1 for a RAP, else 0
_ONE = re.compile(b"\x01")
