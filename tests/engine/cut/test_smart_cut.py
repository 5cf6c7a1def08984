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

import math
import subprocess
from fractions import Fraction

import av
import pytest

from engine.cut import h26x
from engine.cut.request import Segment
from tests import media
from tests.engine.cut.smart_cut_oracles import (
    FFMPEG,
    FPS,
    Judged,
    assert_report,
    dec265_frames,
    ffmpeg_frame_hashes,
    mpv_plays,
    nal_types_of,
    strict_decode_errors,
)
from tests.engine.cut.test_cuts import (
    Output,
    assert_frame_exact,
    assert_in_sync,
    expected_numbers,
    source_frames,
    video_packets,
)

F = Fraction


# ---------------------------------------------------------------------------------------- the matrix


CUTS = {
    # source: (start, end) of a cut with a re-encoded head and tail around copied frames
    "h264_open": (F(1, 2), F(5, 2)),
    "hevc_open": (F(1), F(7, 2)),
    "hevc_main10": (F(1), F(7, 2)),
    "h264": (F(1, 2), F(5, 2)),
    "hevc": (F(1, 2), F(5, 2)),
    "vp9_webm": (F(1, 2), F(5, 2)),
    "vp9_mp4": (F(1, 2), F(5, 2)),
    "vp9_altref": (F(1, 2), F(5, 2)),
}
CODEC = {"h264_open": "h264", "hevc_open": "hevc", "hevc_main10": "hevc", "h264": "h264", "hevc": "hevc",
         "vp9_webm": "vp9", "vp9_mp4": "vp9", "vp9_altref": "vp9"}


@pytest.mark.parametrize("key", CUTS)
def test_precise_smart_cut_is_frame_exact_in_sync_and_reported(export, source, key):
    src = source(key)
    start, end = CUTS[key]
    ex = export(key, start=start, end=end, mode="precise")
    out = Output(ex.path)
    assert out.numbers == expected_numbers(start, end)
    assert_frame_exact(out, source_frames(src), start, end)
    assert_in_sync(out, source_frames(src), start, end, tolerance=0.005)
    assert media.decode_errors(ex.path) == ""
    assert strict_decode_errors(ex.path) == ""
    info, source_info = media.probe(ex.path), media.probe(src)
    assert info["format"].startswith("mov,mp4")
    video = info["streams"][0]
    assert video["codec"] == CODEC[key]
    assert video["pix_fmt"] == source_info["streams"][0]["pix_fmt"]
    assert video["duration"] == pytest.approx(float(end - start), abs=1e-3)  # the frames' own durations
    assert info["duration"] == pytest.approx(float(end - start), abs=0.03)  # the file's, audio included
    with av.open(str(src)) as s, av.open(str(ex.path)) as o:
        assert o.streams.video[0].codec_context.profile == s.streams.video[0].codec_context.profile
    assert ex.result.video == "smart"
    judged = Judged(src, ex.path)
    assert judged.head and judged.copied  # both ends cut inside a GOP: something of each
    assert_report(ex.result.cut.to_dict(), judged)
    if CODEC[key] == "vp9":
        assert judged.tail == 0  # no reordering: the copy runs to the end


@pytest.mark.parametrize("key", ["hevc_open", "hevc_main10", "hevc"])
def test_hevc_smart_cut_decodes_the_same_in_a_strict_decoder(export, key, tmp_path):
    start, end = CUTS[key]
    ex = export(key, start=start, end=end)
    hashes, noise = dec265_frames(ex.path, tmp_path)
    assert noise == ""
    assert hashes == ffmpeg_frame_hashes(ex.path)


@pytest.mark.parametrize("key", CUTS)
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


def test_vp9_the_wheel_cannot_encode_is_re_encoded_whole_and_says_why(export, tmp_path):
    # PyAV's libvpx has no 10-bit VP9 encoder: a 10-bit source cannot be smart cut (made by the CLI's)
    if FFMPEG is None:
        pytest.skip("the ffmpeg CLI is not installed")
    src = tmp_path / "vp9_10bit.webm"
    subprocess.run([FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=30:duration=2",
                    "-c:v", "libvpx-vp9", "-pix_fmt", "yuv420p10le", "-deadline", "realtime", "-cpu-used", "8",
                    "-g", "30", str(src)], check=True)
    ex = export(src, start=F(1, 2), end=F(3, 2))
    report = ex.result.cut.to_dict()
    assert report == {"video": "encode", "reencode_head": 1.0, "reencode_tail": 0.0, "copy": 0.0,
                      "reason": "no smart cut for vp9 in yuv420p10le: a precise cut re-encodes it whole"}
    with av.open(str(ex.path)) as out:
        assert sum(1 for _ in out.decode(video=0)) == 30
    assert media.decode_errors(ex.path) == ""


# ------------------------------------------------------------------------- one read of the range


@pytest.mark.parametrize(("key", "mode"), [("h264_open", "keyframe"), ("hevc_open", "keyframe"),
                                           ("hevc_open", "precise")])
def test_a_copy_from_the_scans_packets_is_the_copy_read_again(export, source, key, mode, monkeypatch):
    # The scan keeps the packets it demuxed for the copy (a range read once, not twice); a range
    # past KEEP_BYTES is read again. Both must give the same video.
    from engine.cut import scan

    kept = export(key, name="kept.mp4", start=F(5, 2), end=F(7, 2) if mode == "keyframe" else F(9, 2), mode=mode)
    monkeypatch.setattr(scan, "KEEP_BYTES", 0)
    again = export(key, name="again.mp4", start=F(5, 2), end=F(7, 2) if mode == "keyframe" else F(9, 2), mode=mode)
    assert Output(kept.path).numbers == Output(again.path).numbers
    assert kept.result.cut.to_dict() == again.result.cut.to_dict()
    if mode == "keyframe":
        assert video_packets(kept.path) == video_packets(again.path)
    else:  # the copied middle is the same bytes (the re-encoded ends may differ by encoder threads)
        assert Judged(source(key), kept.path).same == Judged(source(key), again.path).same
