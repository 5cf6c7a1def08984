"""The video executor: turns segment plans into output packets.

Two shapes of work:
- ``remux_packets``: the output stream is the source's codec. Copy steps pass
  packets through retimed; encode steps (the boundary GOPs of a smart cut)
  decode and re-encode with a fresh encoder each, whose Annex B packets are
  rewritten to the source's NAL framing.
- ``decoded_frames``: the whole span is decoded and handed to a frame sink
  (an H.264 encoder with scaling, or the GIF writer).
Every function is a generator; closing it stops the work cleanly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import av

from . import h26x
from .encoders import boundary_encoder
from .plan import SegmentPlan, Step
from .scan import seek_keyframe


@dataclass(frozen=True, slots=True)
class PlacedSegment:
    """A segment plan and where its first frame lands on the output (in the stream's time base)."""

    plan: SegmentPlan
    offset: int


def decoded_frames(container, stream, step: Step) -> Iterator[av.VideoFrame]:
    """The decoded frames shown in [step.start, step.end), decoding from step.decode_from."""
    seek_keyframe(container, stream, step.decode_from)
    for packet in container.demux(stream):
        for frame in packet.decode():
            if frame.pts is None:
                continue
            if frame.pts >= step.end:
                return
            if frame.pts >= step.start:
                yield frame


def remux_packets(container, stream, out_stream, segments: list[PlacedSegment], *,
                  reorder_delay: int, rotation: int = 0) -> Iterator[av.Packet]:
    """Copy and smart-cut steps for every segment, as packets for ``out_stream``."""
    codec = stream.codec_context.name
    extradata = bytes(stream.codec_context.extradata or b"")
    framing = None  # NAL length size of the source's packets; 0 for Annex B
    if codec in ("h264", "hevc") and extradata:
        config = h26x.parse_extradata(codec, extradata)
        framing = 0 if config.annexb else config.length_size
    tb = Fraction(stream.time_base)
    last_dts = None
    after_encode = False
    for seg in segments:
        shift = seg.offset - seg.plan.start
        for step in seg.plan.steps:
            if step.kind == "copy":
                source = _copied(container, stream, step, reorder_delay)
            else:
                source = _encoded(container, stream, step, framing, reorder_delay)
            first = True
            for packet, pts, dts in source:
                pts += shift
                dts += shift
                if last_dts is not None and dts <= last_dts:
                    dts = min(last_dts + 1, pts)
                last_dts = dts
                if first and step.kind == "copy" and after_encode and framing is not None:
                    packet = _with_parameter_sets(packet, codec, extradata)
                first = False
                packet.stream = out_stream
                packet.time_base = tb
                packet.pts, packet.dts = pts, dts
                yield packet
            after_encode = step.kind == "encode"


def _copied(container, stream, step: Step, delay: int):
    """Packets from the keyframe at step.decode_from, in decode order, until one is shown at step.end or later."""
    seek_keyframe(container, stream, step.decode_from)
    started = False
    pending = []  # packets whose DTS the demuxer does not know yet (Matroska, just after a seek)
    for packet in container.demux(stream):
        pts = packet.pts if packet.pts is not None else packet.dts
        if pts is None:
            continue
        if not started:
            if not (packet.is_keyframe and pts >= step.decode_from):
                continue
            started = True
        if pts >= step.end:
            break
        if pts < step.start:
            continue  # a leading frame of an open GOP: shown before the cut
        if packet.dts is None:
            pending.append((packet, pts))
            continue
        if pending:
            yield from _backfill_dts(pending, packet.dts, packet.duration or 1)
            pending = []
        yield packet, pts, packet.dts
    if pending:
        # no DTS came at all: decode order follows the sorted PTS, ``delay`` behind
        shown = sorted(pts for _, pts in pending)
        for (packet, pts), t in zip(pending, shown):
            yield packet, pts, t - delay


def _backfill_dts(pending, dts: int, step: int):
    """DTS for the packets before the first one that has a DTS, one ``step`` apart up to it."""
    n = len(pending)
    for j, (packet, pts) in enumerate(pending):
        yield packet, pts, min(pts, dts - (n - j) * step)


def _encoded(container, stream, step: Step, framing: int | None, delay: int):
    """Re-encode the frames of one step with a fresh boundary encoder."""
    cc = stream.codec_context
    enc = boundary_encoder(
        cc.name, width=cc.width, height=cc.height, pix_fmt=cc.pix_fmt,
        time_base=Fraction(stream.time_base), rate=stream.average_rate, profile=stream.profile,
    )

    def out(packets):
        for p in packets:
            data = bytes(p)
            if framing:
                data = h26x.annexb_to_length_prefixed(data, framing)
            q = av.Packet(data)
            q.is_keyframe = p.is_keyframe
            q.duration = p.duration
            yield q, p.pts, p.pts - delay

    for frame in decoded_frames(container, stream, step):
        frame.pict_type = av.video.frame.PictureType.NONE
        yield from out(enc.encode(frame))
    yield from out(enc.encode(None))


def _with_parameter_sets(packet: av.Packet, codec: str, extradata: bytes) -> av.Packet:
    q = av.Packet(h26x.with_parameter_sets(codec, bytes(packet), extradata))
    q.is_keyframe = packet.is_keyframe
    q.duration = packet.duration
    return q


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
