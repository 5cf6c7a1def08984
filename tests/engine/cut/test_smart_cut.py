"""Smart cut everywhere: open-GOP H.264 and HEVC (x265's defaults, Main10 too), closed GOPs, VP9.

Each precise cut is judged on what a viewer gets: exactly the requested frames at their times (the
barcode of tests/media.py), the audio in sync, no message from `ffmpeg -v error`, and for HEVC the
same pictures from libde265's strict `dec265` as from FFmpeg; mpv plays it to the end. The cut report
is checked against the output itself: a frame whose pixels are the source's decoded frame, bit for
bit, was copied; the others were re-encoded, and their boundary frames' PSNR is measured here again.

Sources (tests/conftest.py, 30 fps): h264_open (4 s, recovery-point I pictures every second, 3
B-frames in a pyramid), hevc_open and hevc_main10 (5 s, x265's defaults with a 2 s GOP: an IDR at 0,
CRA pictures at 2 s and 4 s with RASL pictures), h264 (closed GOPs every second), vp9_webm/vp9_mp4.
"""

from __future__ import annotations

import hashlib
import math
import shutil
import subprocess
import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from engine.cut import h26x
from engine.cut.request import Segment
from tests import media
from tests.engine.cut.test_cuts import Output, assert_frame_exact, assert_in_sync, expected_numbers, source_frames

F = Fraction
FPS = 30
DEC265 = shutil.which("dec265") or shutil.which("libde265-dec265")
FFMPEG = shutil.which("ffmpeg")


# ---------------------------------------------------------------------------------------------- helpers


def pixels(frame: av.VideoFrame) -> list[np.ndarray]:
    """The frame's planes without their line padding (8- or 16-bit samples)."""
    dtype = np.uint16 if frame.format.components[0].bits > 8 else np.uint8
    size = np.dtype(dtype).itemsize
    return [np.frombuffer(p, dtype=dtype).reshape(p.height, p.line_size // size)[:, :p.width] for p in frame.planes]


def psnr(a: av.VideoFrame, b: av.VideoFrame) -> float:
    sse = sum(float(((x.astype(np.int64) - y.astype(np.int64)) ** 2).sum()) for x, y in zip(pixels(a), pixels(b)))
    count = sum(x.size for x in pixels(a))
    peak = (1 << a.format.components[0].bits) - 1
    return math.inf if sse == 0 else 10 * math.log10(peak * peak * count / sse)


def decoded(path) -> list[tuple[int, av.VideoFrame]]:
    """(barcode number, frame) of every frame FFmpeg decodes, in order."""
    with av.open(str(path)) as container:
        return [(media.read_barcode(f), f) for f in container.decode(video=0)]


class Judged:
    """An output against its source: which frames are the source's own pixels (copied)."""

    def __init__(self, src, out, *, one_run: bool = True):
        source = dict(decoded(src))
        self.frames = decoded(out)
        self.source = [source[n] for n, _ in self.frames]
        self.same = [all(np.array_equal(x, y) for x, y in zip(pixels(f), pixels(s)))
                     for (_, f), s in zip(self.frames, self.source)]
        copied = [i for i, same in enumerate(self.same) if same]
        self.first_copy = copied[0] if copied else len(self.same)
        self.last_copy = copied[-1] if copied else len(self.same)
        if one_run:
            assert all(self.same[self.first_copy:self.last_copy + 1]), "the copied frames are not one run"

    @property
    def head(self) -> int:
        return self.first_copy

    @property
    def tail(self) -> int:
        return len(self.same) - 1 - self.last_copy if self.last_copy < len(self.same) else 0

    @property
    def copied(self) -> int:
        return sum(self.same)

    def boundary_psnr(self) -> float:
        """The lowest PSNR of the first and last frame of each re-encoded run."""
        n = len(self.same)
        ends = []
        if self.head:
            ends += [0, self.head - 1]
        if self.tail:
            ends += [self.last_copy + 1, n - 1]
        return min(psnr(self.frames[i][1], self.source[i]) for i in ends)


def assert_report(report: dict, judged: Judged, video: str = "smart") -> None:
    """The cut report says what the output shows was done."""
    assert report["video"] == video
    assert report["reencode_head"] == pytest.approx(judged.head / FPS, abs=1e-6)
    assert report["reencode_tail"] == pytest.approx(judged.tail / FPS, abs=1e-6)
    assert report["copy"] == pytest.approx(judged.copied / FPS, abs=1e-6)
    if judged.head or judged.tail:
        assert report["boundary_psnr"] >= 40
        assert report["boundary_psnr"] == pytest.approx(judged.boundary_psnr(), abs=0.01)
        assert report["boundary_frames"] == 2 * ((judged.head > 0) + (judged.tail > 0)) - (
            (judged.head == 1) + (judged.tail == 1))


def nal_types_of(path) -> list[list[int]]:
    """NAL unit types of every video packet, in decode order."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        cc = stream.codec_context
        config = h26x.parse_extradata(cc.name, bytes(cc.extradata))
        size = None if config.annexb else config.length_size
        return [h26x.nal_types(cc.name, bytes(p), size) for p in container.demux(stream) if p.size]


def dec265_frames(path, tmp_path) -> tuple[list[str], str]:
    """md5 of every picture libde265's dec265 decodes from the output's HEVC (Annex B, extracted by
    the ffmpeg CLI), and what it printed."""
    if DEC265 is None or FFMPEG is None:
        pytest.skip("dec265 (libde265-examples) or the ffmpeg CLI is not installed")
    es, yuv = tmp_path / "v.hevc", tmp_path / "v.yuv"
    subprocess.run([FFMPEG, "-v", "error", "-y", "-i", str(path), "-map", "0:v", "-c", "copy",
                    "-bsf:v", "hevc_mp4toannexb", "-f", "hevc", str(es)], check=True)
    run = subprocess.run([DEC265, "-q", "-o", str(yuv), str(es)], capture_output=True, text=True, check=False)
    with av.open(str(path)) as container:
        s = container.streams.video[0].codec_context
        w, h, bps = s.width, s.height, 2 if s.pix_fmt.endswith("10le") else 1
    size = w * h * 3 // 2 * bps
    data = yuv.read_bytes() if yuv.exists() else b""
    hashes = [hashlib.md5(data[i:i + size]).hexdigest() for i in range(0, len(data) - size + 1, size)]
    noise = [line for line in (run.stdout + run.stderr).splitlines() if line.strip()
             and not line.strip().startswith(("frame ", "nFrames decoded"))]
    return hashes, (f"rc={run.returncode} " if run.returncode else "") + " | ".join(noise)


def ffmpeg_frame_hashes(path) -> list[str]:
    return [hashlib.md5(b"".join(np.ascontiguousarray(p).tobytes() for p in pixels(f))).hexdigest()
            for _, f in decoded(path)]


def mpv_plays(path) -> tuple[bool, float, list[str]]:
    """Play with libmpv as the app does (vo/ao null, untimed): (reached the end, last position,
    warnings and errors it logged)."""
    mpv = pytest.importorskip("mpv")
    said: list[str] = []

    def log(level, prefix, text):
        if level in ("fatal", "error", "warn") and "underrun" not in text:
            said.append(f"{level}:{prefix}: {text.strip()}")

    player = mpv.MPV(vo="null", ao="null", untimed=True, log_handler=log, loglevel="warn")
    ended = threading.Event()
    reasons: list[str] = []
    positions: list[float] = []

    @player.event_callback("end-file")
    def _ended(event):
        reasons.append(str(event.data.reason))
        ended.set()

    player.observe_property("time-pos", lambda _, v: v is not None and positions.append(v))
    try:
        player.play(str(path))
        assert ended.wait(60), "mpv did not finish"
    finally:
        player.terminate()
    eof = bool(reasons) and ("EOF" in reasons[0].upper() or reasons[0] == "0")
    return eof, max(positions, default=0.0), said


# ---------------------------------------------------------------------------------------- the matrix


CUTS = {
    # source: (start, end) of a cut with a re-encoded head and tail around copied frames
    "h264_open": (F(1, 2), F(5, 2)),
    "hevc_open": (F(1), F(7, 2)),
    "hevc_main10": (F(1), F(7, 2)),
    "h264": (F(1, 2), F(5, 2)),
    "vp9_webm": (F(1, 2), F(5, 2)),
    "vp9_mp4": (F(1, 2), F(5, 2)),
}
CODEC = {"h264_open": "h264", "hevc_open": "hevc", "hevc_main10": "hevc", "h264": "h264",
         "vp9_webm": "vp9", "vp9_mp4": "vp9"}


@pytest.mark.parametrize("key", CUTS)
def test_precise_smart_cut_is_frame_exact_in_sync_and_reported(export, source, key):
    src = source(key)
    start, end = CUTS[key]
    ex = export(key, start=start, end=end, mode="precise")
    out = Output(ex.path)
    assert out.numbers == expected_numbers(start, end)
    assert_frame_exact(out, source_frames(src), start, end)
    assert media.decode_errors(ex.path) == ""
    assert_in_sync(out, source_frames(src), start, end, tolerance=0.005)
    info = media.probe(ex.path)
    assert info["format"].startswith("mov,mp4")
    assert info["streams"][0]["codec"] == CODEC[key]
    assert info["streams"][0]["pix_fmt"] == media.probe(src)["streams"][0]["pix_fmt"]
    assert ex.result.video == "smart"
    judged = Judged(src, ex.path)
    assert judged.head and judged.copied  # both ends cut inside a GOP: something of each
    assert_report(ex.result.cut.to_dict(), judged)
    if CODEC[key] == "vp9":
        assert judged.tail == 0  # no reordering: the copy runs to the end


@pytest.mark.parametrize("key", ["hevc_open", "hevc_main10"])
def test_hevc_smart_cut_decodes_the_same_in_a_strict_decoder(export, key, tmp_path):
    start, end = CUTS[key]
    ex = export(key, start=start, end=end)
    hashes, noise = dec265_frames(ex.path, tmp_path)
    assert noise == ""
    assert hashes == ffmpeg_frame_hashes(ex.path)


@pytest.mark.parametrize("key", ["hevc_open", "h264_open", "vp9_mp4"])
def test_mpv_plays_a_smart_cut_to_the_end(export, key):
    start, end = CUTS[key]
    ex = export(key, start=start, end=end)
    eof, position, said = mpv_plays(ex.path)
    assert eof and said == []
    assert position >= float(end - start) - 0.1


# ------------------------------------------------------------------------------------- open GOP, HEVC


def test_copied_cra_starts_a_new_sequence_and_parameter_sets_stay_out_of_band(export, source):
    ex = export("hevc_open", start=1, end=3.5)
    types = nal_types_of(ex.path)
    ps = {h26x.HEVC_VPS, h26x.HEVC_SPS, h26x.HEVC_PPS}
    assert not any(ps & set(t) for t in types), "parameter sets in band"
    first_copied = Judged(source("hevc_open"), ex.path).head  # no B-frames in the head: decode order
    assert types[first_copied] == [h26x.HEVC_BLA_N_LP]  # the CRA at 2 s, its RASL picture dropped
    with av.open(str(ex.path)) as container:
        cc = container.streams.video[0].codec_context
        config = h26x.parse_hvcc(bytes(cc.extradata))
        assert cc.codec_tag == "hvc1"
    assert (len(config.vps), len(config.sps), len(config.pps)) == (2, 2, 2)  # the source's and the encoder's


def test_start_on_a_rasl_picture_re_encodes_it_alone(export, source):
    # frame 59 is the RASL picture of the CRA at frame 60: shown before it, decoded after it
    src = source("hevc_open")
    start, end = F(59, 30), F(7, 2)
    ex = export("hevc_open", start=start, end=end)
    out = Output(ex.path)
    assert_frame_exact(out, source_frames(src), start, end)
    judged = Judged(src, ex.path)
    assert judged.head == 1
    assert_report(ex.result.cut.to_dict(), judged)
    assert media.decode_errors(ex.path) == ""


def test_start_on_a_cra_copies_from_it(export, source, tmp_path):
    src = source("hevc_open")
    ex = export("hevc_open", start=2, end=3.5)
    judged = Judged(src, ex.path)
    assert judged.head == 0 and judged.copied > 30
    assert_report(ex.result.cut.to_dict(), judged)
    assert nal_types_of(ex.path)[0] == [h26x.HEVC_CRA]  # first in the stream: it may stay a CRA
    hashes, noise = dec265_frames(ex.path, tmp_path)
    assert noise == "" and hashes == ffmpeg_frame_hashes(ex.path)


def test_end_just_after_a_cra_copies_it_alone(export, source):
    src = source("hevc_open")
    start, end = F(1), F(61, 30)
    ex = export("hevc_open", start=start, end=end)
    assert_frame_exact(Output(ex.path), source_frames(src), start, end)
    judged = Judged(src, ex.path)
    assert (judged.head, judged.copied, judged.tail) == (30, 1, 0)
    assert_report(ex.result.cut.to_dict(), judged)
    assert media.decode_errors(ex.path) == ""


def test_copy_across_a_second_cra_keeps_its_rasl_pictures(export, source):
    # the CRA at 4 s has three RASL pictures; the GOP before it is copied, so they decode as they are
    src = source("hevc_open")
    start, end = F(1), F(9, 2)
    ex = export("hevc_open", start=start, end=end)
    out = Output(ex.path)
    assert_frame_exact(out, source_frames(src), start, end)
    judged = Judged(src, ex.path)
    copied = {n for (n, _), same in zip(judged.frames, judged.same) if same}
    assert {117, 118, 119, 120} <= copied  # the CRA at 4 s and its RASL pictures
    assert_report(ex.result.cut.to_dict(), judged)
    assert media.decode_errors(ex.path) == ""
    # (dec265 is not asked here: it mis-decodes RASL pictures of a CRA in mid-stream in the
    # untouched source too)


def test_no_random_access_picture_inside_is_one_re_encoded_span(export, source):
    src = source("hevc_open")
    start, end = F(5, 2), F(7, 2)
    ex = export("hevc_open", start=start, end=end)
    assert_frame_exact(Output(ex.path), source_frames(src), start, end)
    report = ex.result.cut.to_dict()
    assert (report["video"], report["copy"], report["reencode_tail"]) == ("smart", 0, 0)
    assert report["reencode_head"] == pytest.approx(1.0, abs=1e-6)
    assert media.decode_errors(ex.path) == ""


def test_main10_keeps_its_profile_bit_depth_and_colour(export, source):
    src = source("hevc_main10")
    ex = export("hevc_main10", start=1, end=3.5)
    with av.open(str(src)) as s, av.open(str(ex.path)) as o:
        sc, oc = s.streams.video[0].codec_context, o.streams.video[0].codec_context
        assert (oc.profile, oc.pix_fmt) == (sc.profile, sc.pix_fmt) == ("Main 10", "yuv420p10le")
        first = next(o.decode(video=0))  # a re-encoded frame
        shown = next(s.decode(video=0))
    tags = ("color_primaries", "color_trc", "colorspace", "color_range")
    assert [getattr(first, t) for t in tags] == [getattr(shown, t) for t in tags] == [1, 1, 1, 1]


# ------------------------------------------------------------------------------------ open GOP, H.264


def test_copied_recovery_point_becomes_an_idr_picture(export, source):
    ex = export("h264_open", start=0.5, end=2.5)
    types = nal_types_of(ex.path)
    first_copied = Judged(source("h264_open"), ex.path).head
    assert h26x.H264_IDR in types[first_copied] and h26x.H264_SLICE not in types[first_copied]
    assert not any({h26x.H264_SPS, h26x.H264_PPS} & set(t) for t in types), "parameter sets in band"
    with av.open(str(ex.path)) as container:
        cc = container.streams.video[0].codec_context
        config = h26x.parse_avcc(bytes(cc.extradata))
        assert cc.codec_tag == "avc1"
    assert (len(config.sps), len(config.pps)) == (2, 2)


def test_h264_start_on_a_leading_picture_and_on_the_i_picture(export, source):
    src = source("h264_open")
    for start in (F(29, 30), F(1)):  # frame 29 leads the recovery point at 30
        ex = export("h264_open", start=start, end=F(3), name=f"out{start.numerator}.mp4")
        out = Output(ex.path)
        assert_frame_exact(out, source_frames(src), start, F(3))
        judged = Judged(src, ex.path)
        assert judged.head == (1 if start < 1 else 0)
        assert_report(ex.result.cut.to_dict(), judged)
        assert media.decode_errors(ex.path) == ""


# ------------------------------------------------------------------------------- keyframe mode, joins


@pytest.mark.parametrize("key", ["h264_open", "hevc_open"])
def test_keyframe_mode_copies_an_open_gop_from_its_random_access_picture(export, source, key):
    src = source(key)
    ex = export(key, start=F(5, 2), end=F(7, 2), mode="keyframe")
    key_time = F(2)
    assert ex.result.start == key_time and ex.result.video == "copy"
    out = Output(ex.path)
    assert out.numbers[0] == 60 and out.times[0] == 0
    assert out.numbers == list(range(60, out.numbers[-1] + 1)) and out.numbers[-1] >= 100
    assert all(Judged(src, ex.path).same)
    report = ex.result.cut.to_dict()
    assert (report["video"], report["reencode_head"], report["reencode_tail"]) == ("copy", 0, 0)
    assert report["copy"] == pytest.approx(len(out.numbers) / FPS, abs=1e-6)
    assert media.decode_errors(ex.path) == ""


@pytest.mark.parametrize("key", ["h264_open", "hevc_open"])
def test_joined_smart_cuts_are_frame_exact_at_every_join(export, source, key):
    src = source(key)
    spans = ((F(1, 2), F(3, 2)), (F(5, 2), F(23, 6)))
    ex = export(key, segments=tuple(Segment(s, e) for s, e in spans), join=True)
    out = Output(ex.path)
    assert out.numbers == [n for s, e in spans for n in expected_numbers(s, e)]
    offset = F(0)
    for s, e in spans:
        first = math.floor(s * FPS)
        part = [(t, n) for t, n in out.frames if offset <= t < offset + e - s]
        assert all(t == offset + F(n - first, FPS) for t, n in part)
        offset += e - s
    assert media.decode_errors(ex.path) == ""
    assert ex.result.video == "smart"
    judged = Judged(src, ex.path, one_run=False)
    report = ex.result.cut.to_dict()
    assert report["reencode_head"] + report["reencode_tail"] + report["copy"] == pytest.approx(
        len(out.numbers) / FPS, abs=1e-5)
    assert report["copy"] == pytest.approx(judged.copied / FPS, abs=1e-6)
    assert report["boundary_psnr"] >= 40


# ------------------------------------------------------------------------------------- not smart


def test_a_cut_that_is_not_smart_says_why(export):
    ex = export("1080p", start=0.2, end=0.9, quality="720p")
    report = ex.result.cut.to_dict()
    assert (report["video"], report["reason"], report["copy"]) == ("encode", "scaled to 720p", 0)
    assert report["reencode_head"] == pytest.approx(0.7, abs=1e-6)
    ex = export("mpeg4_avi", start=0.5, end=2.5, name="m.mp4")
    report = ex.result.cut.to_dict()
    assert report["video"] == "encode" and report["reason"].startswith("no smart cut for mpeg4")
    assert report["reencode_head"] == pytest.approx(2.0, abs=1e-6)
