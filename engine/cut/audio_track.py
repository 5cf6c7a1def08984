"""The audio executor: copy packets, or decode, cut to the sample and re-encode."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from fractions import Fraction

import av

from ..timeline import Window
from .encode_thread import encode_in_thread

# Decode from a little before a cut so the decoder is primed at the cut.
_PREROLL = Fraction(1, 4)
# Timestamps this close to the running sample count are the same instant, rounded.
_JUMP = Fraction(1, 500)


def copy_packets(container, stream, out_stream, windows: list[Window]) -> Iterator[av.Packet]:
    """The packets that sound inside each window, retimed onto the output.

    A packet that starts before a window and ends inside it comes along (shown
    from before the window's 0, so the decoder is primed at the cut). A window
    at the very start of the stream also takes the packets before it (an
    encoder's priming). At a join, packets that would overlap the previous
    window's last one are left out: the audio timeline never runs backwards.
    """
    tb = Fraction(stream.time_base)
    first = stream.start_time or 0
    last_end = None  # output pts where the previous window's last packet ends
    for w in windows:
        start, end = w.start / tb, w.end / tb
        shift = int(round(w.offset / tb - start))
        from_top = start <= first and last_end is None
        joining = last_end is not None
        # whole pts from here on: the tests below, on every packet, without Fraction arithmetic
        # (pts >= end  <=>  pts >= ceil(end);  pts + duration <= start  <=>  ... <= floor(start))
        end_pts, start_ceil, start_floor = math.ceil(end), math.ceil(start), math.floor(start)
        # a window at the very start also takes the packets before it (priming)
        _seek(container, stream, math.floor(first if from_top else start) - 1)
        for packet in container.demux(stream):
            packet_pts = packet.pts
            if packet_pts is None:
                continue
            if packet_pts >= end_pts:
                break
            duration = packet.duration or 0
            if packet_pts < start_ceil and not from_top and packet_pts + duration <= start_floor:
                continue  # wholly before the window
            pts = packet_pts + shift
            if joining:
                if pts < last_end:
                    continue
                joining = False
            dts = (packet.dts if packet.dts is not None else packet.pts) + shift
            last_end = pts + duration
            packet.pts = pts
            packet.dts = dts
            packet.stream = out_stream
            packet.time_base = tb
            yield packet


def _seek(container, stream, pts: int) -> None:
    """Seek ``stream`` to the packet at or before ``pts``.

    A target before the stream's first packet lands on that packet, which may
    be shown before 0 (AAC priming in MP4, Vorbis, Opus): seeking to 0 would
    skip it and leave the decoder unprimed, losing the first frame's sound.
    Demuxers that refuse negative targets (MP3, ADTS) start at 0.
    """
    try:
        container.seek(pts, stream=stream, backward=True)
    except av.error.FFmpegError:
        if pts >= 0:
            raise
        container.seek(0, stream=stream, backward=True)


def transcode_packets(container, stream, out_stream, windows: list[Window]) -> Iterator[av.Packet]:
    """Decode each window, cut it to the sample, and encode it into ``out_stream``.

    The encoder runs on its own thread while this one demuxes and decodes. It takes the
    frames as they are: PyAV converts them to the encoder's format, layout and rate and
    cuts them to its frame size (once: a resampler here would make it twice).
    """
    def frames():
        written = 0  # samples handed to the encoder; joined windows follow each other
        for w in windows:
            for frame in _window_frames(container, stream, w):
                frame.pts = written
                frame.time_base = _sample_tb(frame.sample_rate)
                written += frame.samples
                yield frame

    yield from encode_in_thread(frames(), out_stream.encode)


@functools.lru_cache(maxsize=16)
def _sample_tb(rate: int) -> Fraction:
    return Fraction(1, rate)


def _window_frames(container, stream, w: Window) -> Iterator[av.AudioFrame]:
    """The decoded audio of the source span [w.start, w.end), cut to the sample.

    Samples are placed by counting them from the first decoded frame, not by
    each frame's timestamp: Matroska rounds timestamps to the millisecond, and
    cutting every frame at its own rounded time would drop or repeat samples.
    A timestamp further than ``_JUMP`` from the count (a real gap in the
    stream) resets the count. Positions are whole samples at the stream's rate.
    """
    tb = Fraction(stream.time_base)
    rate = stream.codec_context.sample_rate
    num, den = tb.numerator * rate, tb.denominator  # pts -> samples
    start, end = round(w.start * rate), round(w.end * rate)
    jump = max(1, round(_JUMP * rate))
    _seek(container, stream, math.floor((w.start - _PREROLL) / tb))
    clock = None  # sample position of the next sample
    for packet in container.demux(stream):
        for frame in packet.decode():
            stamped = (2 * frame.pts * num + den) // (2 * den) if frame.pts is not None else None
            if clock is None or (stamped is not None and abs(stamped - clock) > jump):
                clock = stamped
            if clock is None:
                continue
            t0 = clock
            clock = t0 + frame.samples
            if clock <= start:
                continue
            if t0 >= end:
                return
            a = max(0, start - t0)
            b = min(frame.samples, end - t0)
            if b <= a:
                continue
            yield frame if (a, b) == (0, frame.samples) else _slice(frame, a, b)


def _slice(frame: av.AudioFrame, a: int, b: int) -> av.AudioFrame:
    import numpy as np  # only at the two cut points of a window; keeps start-up lean

    arr = frame.to_ndarray()
    if frame.format.is_planar:
        part = arr[:, a:b]
    else:
        ch = len(frame.layout.channels)
        part = arr.reshape(-1, ch)[a:b].reshape(1, -1)
    out = av.AudioFrame.from_ndarray(np.ascontiguousarray(part), format=frame.format.name,
                                     layout=frame.layout.name)
    out.sample_rate = frame.sample_rate
    return out
