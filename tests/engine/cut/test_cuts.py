"""Cutting video, judged on the output a user gets: which frames it shows and when, where the audio sits
against them, what was copied and what re-encoded, and that nothing half-written is ever left behind.

Sources (tests/conftest.py): 4 s, 30 fps, a keyframe at every whole second, two B-frames, frame k carries
k as a barcode and the audio clicks at every whole second. So a cut from `start` to `end` must show
frames floor(start * 30) .. ceil(end * 30) - 1, and the click of second k must sound while frame 30 k
is on screen.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
from fractions import Fraction
from pathlib import Path

import av
import pytest

from engine.cut import h26x
from engine.atomic import TEMP_MARK
from engine.cut.export import export_clip
from engine.cut.outputs import plan_jobs
from engine.cut.request import ClipRequest, Segment, validate
from engine.errors import ProcessingFailed
from engine.process import in_worker
from engine.media.probe import probe
from tests import media
from tests.conftest import (
    FPS,
    SUBRIP_CUES,
    audio_end,
    audio_samples,
    audio_stream_duration,
    files_in,
    sha256,
)

F = Fraction
AAC_FRAME = 1024
MOVIE_TICK = F(1, 1000)  # FFmpeg's MP4 muxer writes edit lists in a 1/1000 s movie time scale


# ---------------------------------------------------------------------------------------------- helpers


def frames_of(path) -> list[tuple[Fraction, int]]:
    return media.frame_numbers(path)


def expected_numbers(start, end, fps=FPS) -> list[int]:
    """Frames of a constant-rate source shown from `start` (the frame on screen then) to before `end`."""
    return list(range(math.floor(F(start) * fps), math.ceil(F(end) * fps)))


def video_packets(path) -> list[tuple[Fraction, bytes, bool]]:
    """(pts in seconds, payload, keyframe) of every video packet, in decode order."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [(F(p.pts) * p.time_base, bytes(p), p.is_keyframe) for p in container.demux(stream) if p.size]


def length_size(path) -> int | None:
    with av.open(str(path)) as container:
        cc = container.streams.video[0].codec_context
        config = h26x.parse_extradata(cc.name, bytes(cc.extradata))
        return None if config.annexb else config.length_size


_PARAMETER_SETS = {h26x.H264_SPS, h26x.H264_PPS}
_HEVC_PARAMETER_SETS = {h26x.HEVC_VPS, h26x.HEVC_SPS, h26x.HEVC_PPS}


def same_picture(codec: str, a: bytes, b: bytes, size: int | None) -> bool:
    """The same coded picture, allowing in-band parameter sets to differ (a smart cut puts the source's
    own back in front of the first copied keyframe after a re-encoded span)."""
    if a == b:
        return True
    drop = _PARAMETER_SETS if codec == "h264" else _HEVC_PARAMETER_SETS
    try:
        na = [n for n in h26x.split_nals(a, size) if h26x.nal_type(codec, n) not in drop]
        nb = [n for n in h26x.split_nals(b, size) if h26x.nal_type(codec, n) not in drop]
    except ValueError:
        return False
    return na == nb


def copied_times(source, out, start: Fraction, codec: str = "h264") -> set[Fraction]:
    """Source times of the output's video packets that are the source's packets, byte for byte."""
    src = {t: data for t, data, _ in video_packets(source)}
    size = length_size(out)
    same = set()
    for t, data, _ in video_packets(out):
        original = src.get(t + start)
        if original is not None and same_picture(codec, data, original, size):
            same.add(t + start)
    return same


def whole_gop_times(source, start: Fraction, end: Fraction) -> set[Fraction]:
    """Source times of the packets of every GOP lying wholly inside [start, end)."""
    keys = media.keyframe_times(source)
    packets = video_packets(source)
    last = max(t for t, _, _ in packets)
    out = set()
    for i, key in enumerate(keys):
        next_key = keys[i + 1] if i + 1 < len(keys) else None
        if key < start:
            continue
        if next_key is not None and next_key > end:
            continue
        if next_key is None and last >= end:
            continue
        out |= {t for t, _, _ in packets if key <= t and (next_key is None or t < next_key)}
    return out


def copyable_times(source, start: Fraction, end: Fraction) -> set[Fraction]:
    """Source times of the packets a smart cut of [start, end) copies from a closed-GOP source: from
    the first keyframe shown in [start, end), in decode order, up to the last packet before one shown
    at or after ``end`` after which every frame from that keyframe on has come (no frame missing):
    whole GOPs, and then as much of the last one as ends on a complete run of frames."""
    packets = video_packets(source)  # decode order
    shown = sorted(t for t, _, _ in packets)
    first = next((i for i, (t, _, key) in enumerate(packets) if key and start <= t < end), None)
    if first is None:
        return set()
    kept: list[Fraction] = []
    best: set[Fraction] = set()
    for t, _, _ in packets[first:]:
        if t >= end:
            break
        kept.append(t)
        if sorted(kept) == [x for x in shown if packets[first][0] <= x <= max(kept)]:
            best = set(kept)
    return best


def clicks(path) -> list[float]:
    start = media.probe(path)["start_time"] or 0.0
    return [t - start for t in media.click_times(path)]


def assert_in_sync(out: "Output", source_frames, start: Fraction, end: Fraction, tolerance: float,
                   *, spill: bool = False) -> None:
    """Every click of the source in [start, end) sounds, within ``tolerance`` s, when the frame shown at
    that instant in the source comes up in the output (output time = source time - start).

    ``spill``: copied audio packets are whole, so the last may sound up to a packet past ``end``; a click
    there is allowed.
    """
    heard = out.clicks
    if spill:
        heard = [c for c in heard if c < float(end - start) - 0.001]
    expected = []
    for second in range(math.ceil(start), math.ceil(end)):
        if second + 0.01 > end:  # a click cut short at the end may not be heard
            continue
        number = shown(source_frames, F(second))
        expected.append((second, number))
    assert len(heard) == len(expected), f"clicks {heard}, expected near seconds {expected}"
    for click, (second, number) in zip(heard, expected):
        frame_time = next(t for t, n in out.frames if n == number)
        assert abs(click - float(frame_time)) <= tolerance, (
            f"the click of second {second} is at {click:.4f} s, frame {number} at {float(frame_time):.4f} s")
        assert abs(click - float(F(second) - start)) <= tolerance


class Output:
    """An output's frames and clicks, read once."""

    def __init__(self, path):
        self.path = Path(path)
        self.frames = frames_of(path)
        self.clicks = clicks(path)

    @property
    def numbers(self) -> list[int]:
        return [n for _, n in self.frames]

    @property
    def times(self) -> list[Fraction]:
        return [t for t, _ in self.frames]


def shown(frames, t: Fraction) -> int:
    number = None
    for time, n in frames:
        if time <= t:
            number = n
    assert number is not None
    return number


_SOURCE_FRAMES: dict[Path, list] = {}


def source_frames(path) -> list[tuple[Fraction, int]]:
    path = Path(path)
    if path not in _SOURCE_FRAMES:
        _SOURCE_FRAMES[path] = frames_of(path)
    return _SOURCE_FRAMES[path]


def assert_frame_exact(out: Output, src_frames, start: Fraction, end: Fraction) -> None:
    """The output shows exactly the source frames from the one on screen at ``start`` to the last before
    ``end``, each at its source time minus that first frame's time."""
    first = shown(src_frames, start)
    wanted = [(t, n) for t, n in src_frames if n >= first and t < end]
    t0 = wanted[0][0]
    assert out.numbers == [n for _, n in wanted], f"frames {out.numbers[:3]}..{out.numbers[-3:]}"
    assert out.times == [t - t0 for t, _ in wanted]


def assert_audio_fills(out_path, duration: Fraction) -> None:
    """The audio lasts ``duration`` to the sample (the AAC packets' own durations), the MP4 edit list says
    so (in the movie's milliseconds), and decoding gives that many samples plus at most the padding of
    the codec's last frame."""
    assert audio_end(out_path) == duration
    assert abs(audio_stream_duration(out_path) - duration) < MOVIE_TICK
    n, rate = audio_samples(out_path)
    assert duration * rate <= n < duration * rate + AAC_FRAME


# ------------------------------------------------------------------------------------- precise, H.264


PRECISE_CUTS = {
    "mid-gop to mid-gop": (F(1, 2), F(5, 2)),
    "keyframe to keyframe": (F(1), F(3)),
    "starts on a keyframe": (F(1), F(5, 2)),
    "ends on a keyframe": (F(1, 2), F(3)),
    "inside one gop": (F(6, 5), F(9, 5)),
    "from the start": (F(0), F(3, 2)),
    "to the end": (F(5, 2), F(4)),
    "between frames": (F("1.25"), F("3.45")),
}


@pytest.mark.parametrize("start, end", PRECISE_CUTS.values(), ids=PRECISE_CUTS.keys())
def test_precise_cut_is_frame_exact_and_in_sync(export, source, start, end):
    src = source("h264")
    before = sha256(src)
    ex = export("h264", start=start, end=end, mode="precise")
    out = Output(ex.path)
    frames = source_frames(src)
    first_time = F(math.floor(start * FPS), FPS)

    assert out.numbers == expected_numbers(start, end)
    assert_frame_exact(out, frames, start, end)
    assert ex.result.start == first_time
    assert ex.result.duration == end - first_time
    assert media.decode_errors(ex.path) == ""
    assert_audio_fills(ex.path, end - first_time)
    assert_in_sync(out, frames, first_time, end, tolerance=0.005)

    # whole GOPs are copied, and the last one's frames up to its last complete run before `end`
    copyable = copyable_times(src, first_time, end)
    assert whole_gop_times(src, first_time, end) <= copyable
    assert copied_times(src, ex.path, first_time) == copyable
    every = {t for t, _, _ in video_packets(src) if first_time <= t < end}
    assert ex.result.video == ("copy" if copyable == every else "smart")
    assert sha256(src) == before


def test_float_seconds_a_hair_off_a_frame_boundary_mean_that_boundary(export):
    """A UI's float seconds for a frame boundary (the player's position) are a few 1e-16 s off it:
    the cut starts on that frame and ends before it, not a frame early or late."""
    def noise(k: int) -> F:
        return F(repr(float(F(k, 30)))) - F(k, 30)

    below = next(k for k in range(31, 60) if noise(k) < 0)  # would start a frame early
    above = next(k for k in range(below + 15, 119) if noise(k) > 0)  # would end a frame late
    ex = export("h264", start=float(F(below, 30)), end=float(F(above, 30)), mode="precise")
    assert Output(ex.path).numbers == list(range(below, above))


def test_precise_cut_keeps_codec_shape_and_constant_rate(export):
    ex = export("h264", start=0.5, end=2.5)
    info = media.probe(ex.path)
    v = info["streams"][0]
    assert (info["format"].split(",")[0], v["codec"], v["width"], v["height"]) == ("mov", "h264", 320, 240)
    times = Output(ex.path).times
    assert {b - a for a, b in zip(times, times[1:])} == {F(1, 30)}
    assert (ex.result.width, ex.result.height, ex.result.format) == (320, 240, "mp4")
    assert ex.progress[-1].stage == "uploading"
    assert all(0 <= p.fraction <= 1 for p in ex.progress)


# --------------------------------------------------------------------------------- other video sources


def test_hevc_precise_smart_cut(export, source):
    src = source("hevc")
    ex = export("hevc", start=0.5, end=2.5)
    out = Output(ex.path)
    assert out.numbers == expected_numbers(0.5, 2.5)
    assert_frame_exact(out, source_frames(src), F(1, 2), F(5, 2))
    assert media.decode_errors(ex.path) == ""
    assert ex.result.video == "smart"
    assert copied_times(src, ex.path, F(1, 2), codec="hevc") == copyable_times(src, F(1, 2), F(5, 2))
    assert media.probe(ex.path)["streams"][0]["codec"] == "hevc"
    with av.open(str(ex.path)) as container:
        assert container.streams.video[0].codec_context.codec_tag == "hvc1"
    assert_in_sync(out, source_frames(src), F(1, 2), F(5, 2), tolerance=0.005)


@pytest.fixture(scope="module")
def open_gop_hevc(tmp_path_factory):
    """HEVC as x265 makes it by default: CRA keyframes whose leading (RASL) frames refer to the GOP before.

    tests/media.py always closes its GOPs, so its encoder settings are swapped for this one file.
    """

    def open_gop(stream, codec, gop, bframes):
        stream.codec_context.gop_size = gop
        stream.options.update({"preset": "ultrafast", "x265-params": (
            f"keyint={gop}:min-keyint={gop}:scenecut=0:open-gop=1:bframes={bframes}:log-level=error")})

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(media, "_configure_video_encoder", open_gop)
        return media.make_video(tmp_path_factory.mktemp("open_gop") / "open.mp4", codec="hevc", bframes=3)


def test_hevc_source_keyframes_are_closed(source):
    src = source("hevc")
    size = length_size(src)
    keys = [data for _, data, key in video_packets(src) if key]
    assert len(keys) == 4 and all(h26x.is_idr("hevc", data, size) for data in keys)


@pytest.mark.parametrize("start, end", [(F(1, 2), F(5, 2)), (F(1), F(3))], ids=["mid-gop", "on keyframes"])
def test_open_gop_hevc_precise_cut_is_frame_exact(open_gop_hevc, export, start, end):
    src = open_gop_hevc
    size = length_size(src)
    packets = video_packets(src)
    keys = [data for _, data, key in packets if key]
    assert not all(h26x.is_idr("hevc", data, size) for data in keys), "the source has no open GOP"
    ex = export(src, start=start, end=end)
    out = Output(ex.path)
    assert out.numbers == expected_numbers(start, end)
    assert_frame_exact(out, source_frames(src), start, end)
    assert media.decode_errors(ex.path) == ""
    assert media.probe(ex.path)["streams"][0]["codec"] == "hevc"


def test_vfr_source_keeps_its_timestamps(export, source):
    src = source("vfr")
    start, end = F(1, 2), F(5, 2)
    ex = export("vfr", start=start, end=end)
    out = Output(ex.path)
    frames = source_frames(src)
    wanted = [(t, n) for t, n in frames if start <= t < end]
    assert out.frames == [(t - start, n) for t, n in wanted]
    assert media.decode_errors(ex.path) == ""
    assert ex.result.video == "smart"
    assert_in_sync(out, frames, start, end, tolerance=0.005)


def test_rotated_source_keeps_its_rotation(export, source):
    src = source("rotated")
    ex = export("rotated", start=0.5, end=2.5)
    out = Output(ex.path)
    assert media.probe(ex.path)["streams"][0]["rotation"] == 90
    assert out.numbers == expected_numbers(0.5, 2.5)
    assert_frame_exact(out, source_frames(src), F(1, 2), F(5, 2))
    assert media.decode_errors(ex.path) == ""
    assert ex.result.video == "smart"


@pytest.mark.parametrize("key", ["mpeg4_avi"])  # (VP9 is smart cut: test_smart_cut.py)
def test_codec_that_cannot_be_smart_cut_is_re_encoded_frame_exact(export, source, key):
    src = source(key)
    start, end = F(1, 2), F(5, 2)
    ex = export(key, start=start, end=end)
    out = Output(ex.path)
    info = media.probe(ex.path)
    assert info["format"].startswith("mov,mp4")
    assert [s["codec"] for s in info["streams"]] == ["h264", "aac"]
    assert ex.result.video == "encode"
    # frame times as the source's own timeline has them (AVI: one frame late; WebM: in milliseconds)
    assert_frame_exact(out, source_frames(src), start, end)
    assert len(out.numbers) == 60
    assert media.decode_errors(ex.path) == ""
    assert_audio_fills(ex.path, end - start)
    assert_in_sync(out, source_frames(src), start, end, tolerance=0.005)


# ------------------------------------------------------------------------------------------ keyframe


KEYFRAME_CUTS = {"mid-gop": (F(3, 2), F(16, 5)), "on keyframes": (F(1), F(3)), "from the start": (F(0), F(2))}


@pytest.mark.parametrize("start, end", KEYFRAME_CUTS.values(), ids=KEYFRAME_CUTS.keys())
def test_keyframe_mode_copies_from_the_keyframe_before(export, source, start, end):
    src = source("h264")
    before = sha256(src)
    ex = export("h264", start=start, end=end, mode="keyframe")
    out = Output(ex.path)
    key = math.floor(start)  # a keyframe at every whole second
    assert ex.result.start == key
    assert ex.result.video == "copy"
    assert out.numbers[0] == key * 30
    assert out.times[0] == 0
    # every frame from the keyframe on, none missing; the copy may stop a few B-frames before `end`
    last = math.ceil(end * 30) - 1
    assert out.numbers == list(range(key * 30, out.numbers[-1] + 1))
    assert last - 3 <= out.numbers[-1] <= last
    assert out.times == [F(n - key * 30, 30) for n in out.numbers]
    # nothing re-encoded: every video packet is the source's
    packets = video_packets(ex.path)
    assert copied_times(src, ex.path, key) == {t + key for t, _, _ in packets}
    assert media.decode_errors(ex.path) == ""
    assert_in_sync(out, source_frames(src), F(key), end, tolerance=0.020, spill=True)
    assert sha256(src) == before


def test_keyframe_mode_copies_matroska_into_mp4(export, source):
    src = source("subrip_mkv")
    ex = export("subrip_mkv", start=1.5, end=3.5, mode="keyframe")
    out = Output(ex.path)
    info = media.probe(ex.path)
    assert info["format"].startswith("mov,mp4")
    assert info["streams"][0]["codec"] == "h264"
    assert ex.result.video == "copy" and ex.result.start == 1
    assert out.numbers[0] == 30 and out.times[0] == 0
    assert out.numbers == list(range(30, out.numbers[-1] + 1)) and out.numbers[-1] >= 101
    assert copied_times(src, ex.path, F(1)) == {t + 1 for t, _, _ in video_packets(ex.path)}
    assert media.decode_errors(ex.path) == ""
    assert_in_sync(out, source_frames(src), F(1), F(7, 2), tolerance=0.020, spill=True)


# ------------------------------------------------------------------------------------------- quality


def test_quality_never_upscales(export):
    ex = export("h264", start=0.5, end=1.5, quality="720p")
    info = media.probe(ex.path)["streams"][0]
    assert (info["width"], info["height"]) == (320, 240)
    assert (ex.result.width, ex.result.height) == (320, 240)
    assert Output(ex.path).numbers == expected_numbers(0.5, 1.5)


@pytest.mark.parametrize("quality", ["medium", "4k"])
def test_quality_at_or_above_the_source_keeps_it(export, quality):
    ex = export("720p", start=0.2, end=0.9, quality=quality)
    info = media.probe(ex.path)["streams"][0]
    assert (info["width"], info["height"]) == (1280, 720)
    assert ex.result.height == 720
    assert Output(ex.path).numbers == expected_numbers(F(1, 5), F(9, 10))
    assert media.decode_errors(ex.path) == ""


def test_quality_scales_down_and_stays_frame_exact(export, source):
    ex = export("1080p", start=0.2, end=0.9, quality="720p")
    info = media.probe(ex.path)["streams"][0]
    assert (info["codec"], info["width"], info["height"]) == ("h264", 1280, 720)
    assert (ex.result.width, ex.result.height, ex.result.quality) == (1280, 720, "720p")
    assert ex.result.video == "encode"
    out = Output(ex.path)
    assert out.numbers == expected_numbers(F(1, 5), F(9, 10))
    assert out.times == [F(k, 30) for k in range(len(out.numbers))]
    assert media.decode_errors(ex.path) == ""


# --------------------------------------------------------------------------------------- multi-segment


SEGMENTS = ((F(1, 2), F(3, 2)), (F(11, 5), F(17, 5)), (F(3), F(4)))


def export_outputs(req: ClipRequest, out):
    """Every output of ``req`` into ``out``, as the job runner's workers make them (planned, then
    exported one by one); the ClipResults."""
    info = probe(req.source)
    clip = validate(req, info)
    results = []
    for job in plan_jobs(clip, info, out):
        gen = export_clip(info, clip, job.segments, job.out_path)
        while True:
            try:
                next(gen)
            except StopIteration as done:
                results.append(done.value)
                break
    return results


def export_whole(src: str, out: str):
    """A generator for in_worker: one output of all of ``src``, its Progress yielded."""
    info = probe(src)
    clip = validate(ClipRequest(src, start=0, end=4), info)
    return (yield from export_clip(info, clip, clip.segments, out))


def test_segments_make_one_file_each(source, tmp_path):
    src = source("h264")
    req = ClipRequest(str(src), segments=tuple(Segment(s, e) for s, e in SEGMENTS))
    done = export_outputs(req, tmp_path)
    assert len(done) == 3 and len({r.path for r in done}) == 3
    for result, (start, end) in zip(done, SEGMENTS):
        out = Output(result.path)
        assert out.numbers == expected_numbers(start, end)
        assert out.times[0] == 0
        assert_in_sync(out, source_frames(src), start, end, tolerance=0.005)
    assert sorted(Path(r.path).name for r in done) == files_in(tmp_path)


@pytest.mark.parametrize("mode", ["precise", "keyframe"])
def test_joined_segments_are_one_file_in_sync_at_every_join(export, mode):
    ex = export("h264", segments=tuple(Segment(s, e) for s, e in SEGMENTS), join=True, mode=mode)
    out = Output(ex.path)
    used = ex.result.segments
    assert len(used) == 3
    if mode == "precise":
        assert used == SEGMENTS
        assert out.numbers == [n for s, e in SEGMENTS for n in expected_numbers(s, e)]
        assert ex.result.video == "smart"
    else:
        assert [s for s, _ in used] == [F(math.floor(s)) for s, _ in SEGMENTS]
        assert ex.result.video == "copy"
    assert media.decode_errors(ex.path) == ""
    # each segment's frames at their own times, after the segments before it
    offset = F(0)
    tolerance = 0.005 if mode == "precise" else 0.020
    for s, e in used:
        part = [(t, n) for t, n in out.frames if offset <= t < offset + e - s]
        first = math.floor(s * 30)
        assert part[0][1] == first
        assert [n for _, n in part] == list(range(first, part[-1][1] + 1))
        assert all(t == offset + F(n, 30) - s for t, n in part)
        offset += e - s
    assert abs(audio_stream_duration(ex.path) - offset) < MOVIE_TICK
    # clicks: one per whole second inside each segment, each on its frame
    expected = [(F(k) - s + o, 30 * k, o) for (s, e), o in zip(used, _offsets(used))
                for k in range(math.ceil(s), math.ceil(e)) if k + 0.01 <= e]
    heard = out.clicks
    if mode == "keyframe":
        # Copied audio packets are whole: one may spill a click over a join or the end. The click right at
        # a join is test_keyframe_join_keeps_the_sound_at_each_join's business.
        joins = [float(o) for o in _offsets(used)[1:]] + [float(offset)]
        heard = [c for c in heard if not any(j - 0.025 < c < j + 0.025 for j in joins)]
        expected = [x for x in expected if x[2] == 0 or x[0] != x[2]]
    assert len(heard) == len(expected), (heard, expected)
    for click, (when, number, o) in zip(heard, expected):
        frame_time = next(t for t, n in out.frames if n == number and t >= o)
        assert abs(click - float(frame_time)) <= tolerance
        assert abs(click - float(when)) <= tolerance


def test_keyframe_join_keeps_the_sound_at_each_join(export):
    ex = export("h264", segments=tuple(Segment(s, e) for s, e in SEGMENTS), join=True, mode="keyframe")
    joins = _offsets(ex.result.segments)[1:]  # each segment starts on a keyframe, at a whole second
    heard = clicks(ex.path)
    for join in joins:
        assert any(abs(c - float(join)) <= 0.005 for c in heard), f"no click at the join at {join} s: {heard}"


def _offsets(spans):
    out, offset = [], F(0)
    for s, e in spans:
        out.append(offset)
        offset += e - s
    return out


# ------------------------------------------------------------------------------------------- subtitles


def test_subrip_track_becomes_mov_text_cut_and_shifted(export):
    ex = export("subrip_mkv", start=0.8, end=3.0)
    info = media.probe(ex.path)
    assert [s["codec"] for s in info["streams"]] == ["h264", "aac", "mov_text"]
    assert SUBRIP_CUES == [(0.5, 1.25, "Hello, world"), (2.0, 3.5, "Two\nlines")]
    assert media.subtitle_cues(ex.path) == [(0.0, 0.45, "Hello, world"), (1.2, 2.2, "Two\nlines")]
    assert Output(ex.path).numbers == expected_numbers(F(4, 5), F(3))
    assert media.decode_errors(ex.path) == ""
    assert_audio_fills(ex.path, F(3) - F(4, 5))


# ---------------------------------------------------------------------------------- nothing half-written


def test_closing_the_export_midway_leaves_nothing(source, tmp_path):
    src = source("h264")
    info = probe(src)
    clip = validate(ClipRequest(str(src), start=0, end=4, mode="precise"), info)
    target = tmp_path / "clip.mp4"
    gen = export_clip(info, clip, clip.outputs[0], target)
    for progress in gen:
        if progress.stage == "processing" and 0 < progress.done < progress.total:
            assert [n for n in files_in(tmp_path) if TEMP_MARK in n], "no temp file while writing"
            break
    else:
        pytest.fail("the export never reported progress midway")
    gen.close()
    assert not target.exists()
    assert files_in(tmp_path) == []


def test_terminating_the_worker_midway_leaves_nothing(source, tmp_path):
    src = source("mpeg4_avi")  # a full re-encode: the slowest export of these sources
    out = tmp_path / "clips"
    events = in_worker(export_whole, str(src), str(out / "clip.mp4"))
    child = None
    try:
        with pytest.raises(ProcessingFailed, match="stopped"):
            for p in events:
                if p.fraction > 0 and child is None:
                    (child,) = multiprocessing.active_children()
                    os.kill(child.pid, signal.SIGSTOP)  # hold it mid-export to look at the folder
                    assert [n for n in files_in(out) if TEMP_MARK in n], "no temp file while writing"
                    assert not (out / "clip.mp4").exists()
                    os.kill(child.pid, signal.SIGTERM)  # delivered when it runs again
                    os.kill(child.pid, signal.SIGCONT)
    finally:
        if child is not None and child.is_alive():
            os.kill(child.pid, signal.SIGCONT)
        events.close()
    assert child is not None, "the export never reported progress midway"
    child.join(10)
    assert files_in(out) == []
