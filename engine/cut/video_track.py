"""The video executor: turns segment plans into output packets.

Two shapes of work:
- ``remux_packets``: the output stream is the source's codec. Copy steps pass the source's
  packets through, retimed (``splice.py`` rewrites the few a new sequence starts with); encode
  steps (the ends of a smart cut) decode and re-encode with a fresh boundary encoder each, whose
  packets ``splice.py`` turns into samples of the source's track. Every output DTS is planned up
  front for the whole output (:func:`plan.output_dts`), and the boundary frames of each
  re-encoded end are measured against the source (``quality.py``).
- ``reencode_packets``: the whole span is decoded and handed to a frame sink (an H.264 encoder
  with scaling, or the GIF writer).
Every function is a generator; closing it stops the work cleanly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import av

from ..errors import ProcessingFailed
from .plan import Copy, Encode, SegmentPlan, decode_order, output_dts
from .quality import BoundaryCheck
from .scan import seek_keyframe
from .splice import Splicer


@dataclass(frozen=True, slots=True)
class PlacedSegment:
    """A segment plan, where its first frame lands on the output (in the stream's time base), and
    the frames the source shows around it (sorted PTS: what its re-encoded steps will show)."""

    plan: SegmentPlan
    offset: int
    shown: tuple[int, ...] = ()
    demuxed: tuple = ()  # the scan's packets in decode order, when it kept them (``RangeScan``)
    gap: tuple[int, int] | None = None  # the scan read the ends only (``RangeScan.gap``): see _copied_through


def decoded_frames(container, stream, step) -> Iterator[av.VideoFrame]:
    """The decoded frames shown in [step.start, step.end), decoding from step.decode_from."""
    seek_keyframe(container, stream, step.decode_from)
    stream.codec_context.flush_buffers()
    for packet in container.demux(stream):
        for frame in packet.decode():
            if frame.pts is None:
                continue
            if frame.pts >= step.end:
                return
            if frame.pts >= step.start:
                yield frame


class _Timeline:
    """The output's DTS, planned up front: the k-th video packet gets the k-th DTS."""

    def __init__(self, segments: list[PlacedSegment]):
        self.pts: list[int] = []
        for seg in segments:
            shift = seg.offset - seg.plan.start
            self.pts += [t + shift for t in decode_order(seg.plan, seg.shown)]
        self.dts = output_dts(self.pts)
        self.k = 0

    def next(self, pts: int) -> int:
        k = self.k
        if k >= len(self.pts) or self.pts[k] != pts:
            raise ProcessingFailed("the video around a cut could not be read as it was scanned "
                                   "(a frame is missing or extra): the source may be damaged")
        self.k += 1
        return self.dts[k]


def remux_packets(container, stream, out_stream, segments: list[PlacedSegment], *, splicer: Splicer,
                  frame_duration: int, psnr: list[float]) -> Iterator[av.Packet]:
    """Copy and smart-cut steps for every segment, as packets for ``out_stream``; the boundary
    frames' PSNR of each re-encoded end goes into ``psnr``."""
    tb = Fraction(stream.time_base)
    timeline = _Timeline([seg for seg in segments if seg.gap is None])
    first_step = True
    for seg in segments:
        shift = seg.offset - seg.plan.start
        seg_end = seg.plan.end + shift  # a frame cut short by the segment's end is shown until then
        if seg.gap is not None:  # one copy, read as it is written: the source's DTS, shifted
            if len(segments) != 1:
                raise ValueError("a copy read as it is written makes an output of its own")
            for packet, pts, dts in _copied_through(container, stream, seg.plan.steps[0], seg.gap, splicer):
                packet.stream = out_stream
                packet.time_base = tb
                packet.pts, packet.dts = pts + shift, dts + shift
                packet.duration = max(1, min(packet.duration or frame_duration, seg_end - pts - shift))
                yield packet
            continue
        for step in seg.plan.steps:
            if isinstance(step, Copy):
                source = _copied(container, stream, step, splicer, new_sequence=not first_step,
                                 demuxed=seg.demuxed)
            else:
                source = _encoded(container, stream, step, splicer, frame_duration, psnr)
            first_step = False
            for packet, pts in source:
                pts += shift
                packet.stream = out_stream
                packet.time_base = tb
                packet.pts, packet.dts = pts, timeline.next(pts)
                packet.duration = max(1, min(packet.duration or frame_duration, seg_end - pts))
                yield packet


def _copied(container, stream, step: Copy, splicer: Splicer, *, new_sequence: bool, demuxed: tuple = ()):
    """The step's packets (decode order, from its RAP), some rewritten to start a new sequence:
    the ones the scan kept (``demuxed``), else read again from the source."""
    rewrite = _or_failed(lambda: splicer.copy(rap_is_idr=step.idr, radl=step.radl, new_sequence=new_sequence))
    if demuxed:
        packets = iter(demuxed)
    else:
        seek_keyframe(container, stream, step.rap)
        packets = container.demux(stream)
    want = set(step.packets)
    left = len(want)
    for packet, pts in _from_rap(packets, step.rap):
        if pts not in want:
            continue  # a leading picture of the RAP that needs the GOP before it
        yield _rewritten(packet, rewrite), pts
        left -= 1
        if left == 0:
            return
    raise ProcessingFailed(f"{left} packets to copy were not found again in the source")


def _copied_through(container, stream, step: Copy, gap: tuple[int, int], splicer: Splicer):
    """(packet, pts, source dts) of a keyframe copy planned on its ends only (``scan.scan_ends``),
    read once, as it is written: every packet from the step's RAP up to the tail's RAP at
    ``gap[1]`` (the plan keeps all of the head, and the gap is whole GOPs), then the step's
    packets from there on. The packets keep the source's DTS: they run on without a gap."""
    rewrite = _or_failed(lambda: splicer.copy(rap_is_idr=step.idr, radl=step.radl, new_sequence=False))
    tail = set(step.packets[step.packets.index(gap[1]):])  # (the plan runs into the tail: export checks)
    left = len(tail)
    started = in_tail = False
    last_dts = None
    seek_keyframe(container, stream, step.rap)
    for packet, pts in _from_rap(container.demux(stream), step.rap):
        started = True
        if pts == gap[1]:
            in_tail = True
        if in_tail:
            if pts not in tail:
                continue
            left -= 1
        dts = packet.dts
        if dts is None or (last_dts is not None and dts <= last_dts):  # (the scans saw none such)
            dts = last_dts + 1 if last_dts is not None else pts
        dts = last_dts = min(dts, pts)
        yield _rewritten(packet, rewrite), pts, dts
        if in_tail and left == 0:
            return
    if not started or left:
        raise ProcessingFailed("the video to copy was not found again in the source: it may be damaged")


def _encoded(container, stream, step: Encode, splicer: Splicer, frame_duration: int, psnr: list[float]):
    """Re-encode the frames of one step with a fresh boundary encoder; its packets as output samples."""
    enc = _or_failed(splicer.encoder)
    check = BoundaryCheck(splicer.codec, bytes(enc.extradata or b""))

    def out(packets):
        for p in packets:
            if not p.size:
                continue
            check.encoded(p)
            q = av.Packet(_or_failed(lambda p=p: splicer.encoded(bytes(p))))
            q.is_keyframe = p.is_keyframe
            q.duration = p.duration or frame_duration
            yield q, p.pts

    for frame in decoded_frames(container, stream, step):
        frame.pict_type = av.video.frame.PictureType.NONE
        check.source(frame)
        yield from out(enc.encode(frame))
    yield from out(enc.encode(None))
    psnr.extend(check.finish())


def _from_rap(packets, rap: int):
    """(packet, pts) of ``packets`` (decode order) from the one shown at ``rap`` on, without the
    demuxer's empty flush packet."""
    started = False
    for packet in packets:
        pts = packet.pts if packet.pts is not None else packet.dts
        if pts is None or not packet.size:
            continue
        if not started:
            if pts != rap:
                continue
            started = True
        yield packet, pts


def _rewritten(packet: av.Packet, rewrite) -> av.Packet:
    """``packet``, or its payload rewritten to start a new sequence (``rewrite``: the splicer's)."""
    if rewrite is None:
        return packet
    data = _or_failed(lambda: rewrite.packet(bytes(packet)))
    return packet if data is None else _with_payload(packet, data)


def _with_payload(packet: av.Packet, data: bytes) -> av.Packet:
    q = av.Packet(data)
    q.is_keyframe = packet.is_keyframe
    q.duration = packet.duration
    return q


def _or_failed(fn):
    """``fn()``, with a bitstream the rewriters cannot handle turned into the engine's error."""
    try:
        return fn()
    except (ValueError, NotImplementedError) as e:
        raise ProcessingFailed(f"the smart cut could not join the re-encoded and copied video: {e}") from None


def reencode_packets(container, stream, segments: list[PlacedSegment], sink) -> Iterator[av.Packet]:
    """Decode every segment and push its frames, retimed, into ``sink``; yield what it encodes."""
    tb = Fraction(stream.time_base)
    for seg in segments:
        shift = seg.offset - seg.plan.start
        for step in seg.plan.steps:
            for frame in decoded_frames(container, stream, step):
                frame.pts += shift
                frame.time_base = tb
                frame.pict_type = av.video.frame.PictureType.NONE
                yield from sink.push(frame)
    yield from sink.flush()


class H264Sink:
    """Scales (never up) and encodes frames into an H.264 output stream."""

    def __init__(self, out_stream, width: int, height: int):
        self.stream = out_stream
        self.width, self.height = width, height

    def push(self, frame: av.VideoFrame):
        if (frame.width, frame.height) != (self.width, self.height) or frame.format.name != "yuv420p":
            pts, tb = frame.pts, frame.time_base
            frame = frame.reformat(width=self.width, height=self.height, format="yuv420p",
                                   interpolation="BICUBIC")
            frame.pts, frame.time_base = pts, tb
        return self.stream.encode(frame)

    def flush(self):
        return self.stream.encode(None)
