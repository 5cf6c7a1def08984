"""A keyframe cut of a long range is planned on its two ends and read once, as it is copied
(``scan.scan_ends``): the output is what a cut read whole gives. For each kind of source, the
frames from the keyframe before the start to the end, none missing, each the source's packet byte
for byte, decoding without a message, the sound in step, and DTS that run on (rising, never after
the PTS). A file without usable DTS (Matroska) and a start whose keyframe drops leading pictures
are read whole, and come out right too."""

from __future__ import annotations

from fractions import Fraction

import av
import pytest

from engine.cut.scan import scan_ends
from tests import media
from tests.engine.cut.test_cuts import (
    Output,
    assert_in_sync,
    copied_times,
    source_frames,
    video_packets,
)

F = Fraction

# source, start, end, the keyframe the cut starts on (s), whether its two ends are read apart
CUTS = {
    "h264 B-frames": ("h264", F(1, 2), F(18, 5), F(0), True),
    "h264 open GOPs": ("h264_open", F(1, 2), F(18, 5), F(0), True),
    "hevc": ("hevc", F(3, 2), F(39, 10), F(1), True),
    "hevc x265 defaults": ("hevc_open", F(1, 2), F(49, 10), F(0), True),
    "vp9 in mp4": ("vp9_mp4", F(1, 2), F(18, 5), F(0), True),
    "variable frame rate": ("vfr", F(1, 2), F(18, 5), None, True),
    # a CRA whose leading pictures need the GOP before it: the copy drops them, so it is read whole
    "hevc from a CRA": ("hevc_open", F(5, 2), F(49, 10), F(2), False),
    "matroska (no DTS)": ("subrip_mkv", F(1, 2), F(18, 5), F(0), False),
}


def ticks(path, start: Fraction, end: Fraction) -> tuple[int, int, object]:
    container = av.open(str(path))
    stream = container.streams.video[0]
    tb = F(stream.time_base)
    return int(start / tb), int(end / tb) + 1, container


@pytest.mark.parametrize("key, start, end, first, apart", CUTS.values(), ids=CUTS.keys())
def test_a_long_keyframe_cut_is_the_sources_frames(export, source, key, start, end, first, apart):
    src = source(key)
    a, b, container = ticks(src, start, end)
    with container:
        ends = scan_ends(container, container.streams.video[0], a, b)
    if apart:  # the two ends are read, with the GOPs between them left to the copy
        assert ends is not None and ends.gap is not None and ends.gap[0] <= ends.gap[1]
    ex = export(key, start=start, end=end, mode="keyframe")
    assert ex.result.video == "copy"
    src_frames = source_frames(src)  # (time, number) in the source
    at = dict((n, t) for t, n in src_frames)
    key_time = ex.result.start
    if first is not None:
        assert key_time == first
    out = Output(ex.path)
    numbers = [n for t, n in src_frames if key_time <= t < end]
    # from the keyframe on, none missing; the copy may stop a few B-frames before `end`
    assert out.numbers == numbers[:len(out.numbers)] and len(numbers) - 4 <= len(out.numbers)
    assert out.times == [at[n] - key_time for n in out.numbers]
    packets = video_packets(ex.path)  # each one the source's, byte for byte
    if key.startswith("vp9"):
        source_packets = {t: data for t, data, _ in video_packets(src)}
        assert all(source_packets.get(t + key_time) == data for t, data, _ in packets)
    else:
        codec = "hevc" if key.startswith("hevc") else "h264"
        assert copied_times(src, ex.path, key_time, codec) == {t + key_time for t, _, _ in packets}
    assert media.decode_errors(ex.path) == ""
    assert_in_sync(out, src_frames, key_time, end, tolerance=0.020, spill=True)
    with av.open(str(ex.path)) as c:
        stamps = [(p.pts, p.dts) for p in c.demux(c.streams.video[0]) if p.size]
    dts = [d for _, d in stamps]
    assert all(x < y for x, y in zip(dts, dts[1:])) and all(d <= p for p, d in stamps)
