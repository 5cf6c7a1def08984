"""The audio executor: copy packets, or decode, cut to the sample and re-encode."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

import av

from .timeline import Window

# Decode from a little before a cut so the decoder is primed at the cut.
_PREROLL = Fraction(1, 4)


def copy_packets(container, stream, out_stream, windows: list[Window]) -> Iterator[av.Packet]:
    """Whole packets that start inside each window, retimed onto the output."""
    tb = Fraction(stream.time_base)
    for w in windows:
        start, end = w.start / tb, w.end / tb
        shift = int(round(w.offset / tb - start))
        container.seek(max(0, int(start) - 1), stream=stream, backward=True)
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            if packet.pts >= end:
                break
            if packet.pts < start:
                continue
            dts = packet.dts if packet.dts is not None else packet.pts
            packet.pts += shift
            packet.dts = dts + shift
            packet.stream = out_stream
            packet.time_base = tb
            yield packet


def transcode_packets(container, stream, out_stream, windows: list[Window]) -> Iterator[av.Packet]:
    """Decode each window, cut it to the sample, and encode it into ``out_stream``."""
    cc = out_stream.codec_context
    resampler = av.AudioResampler(
        format=cc.format.name, layout=cc.layout.name, rate=cc.sample_rate,
        frame_size=cc.frame_size or None,
    )
    written = 0  # samples handed to the resampler; joined windows follow each other
    for w in windows:
        for frame in _window_frames(container, stream, w):
            frame.pts = written
            frame.time_base = Fraction(1, frame.sample_rate)
            written += frame.samples
            for f in resampler.resample(frame):
                yield from out_stream.encode(f)
    for f in resampler.resample(None):
        yield from out_stream.encode(f)
    yield from out_stream.encode(None)


def _window_frames(container, stream, w: Window) -> Iterator[av.AudioFrame]:
    tb = Fraction(stream.time_base)
    rate = stream.codec_context.sample_rate
    start_pts = int((w.start - _PREROLL) / tb)
    container.seek(max(0, start_pts), stream=stream, backward=True)
    expected = None  # source seconds of the next sample when frames lack pts
    for packet in container.demux(stream):
        for frame in packet.decode():
            t0 = frame.pts * tb if frame.pts is not None else expected
            if t0 is None:
                continue
            expected = t0 + Fraction(frame.samples, frame.sample_rate or rate)
            if expected <= w.start:
                continue
            if t0 >= w.end:
                return
            a = max(0, int(round((w.start - t0) * frame.sample_rate)))
            b = min(frame.samples, int(round((w.end - t0) * frame.sample_rate)))
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
